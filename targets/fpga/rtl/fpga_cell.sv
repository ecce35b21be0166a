// fpga_cell.sv — one unit's state update (targets/fpga/SPEC.md), pipelined,
// DW-bit values with FRAC fraction bits.
//
//   cycle 0: pre-activations and c in (v_in)
//   +2     : i, f, g, o out of the activation units
//   +3     : c' = sat(rshr(f*c + i*g, FRAC))             (v_c, c_out)
//   +5     : tanh_q(c')
//   +6     : h' = sat(rshr(o*tanh_q(c'), FRAC))          (v_h, h_out)
// For the rnn h' = tanh_q(pg), delayed to the same +6 so that both cells
// leave the update engine at the same depth.
module fpga_cell #(
    parameter int DW   = 16,
    parameter int FRAC = 12
) (
    input  logic          clk,
    input  logic          v_in,
    input  logic          rnn,
    input  logic [DW-1:0] pi, pf, pg, po,
    input  logic [DW-1:0] c_in,
    output logic          v_c,
    output logic [DW-1:0] c_out,
    output logic          v_h,
    output logic [DW-1:0] h_out
);
    localparam int PW = 2 * DW;   // |f*c|, |i*g| <= 2^(FRAC+DW-1) <= 2^(2DW-3)
    localparam logic signed [PW-1:0] HALF = PW'(1 << (FRAC - 1));
    localparam logic signed [PW-1:0] VMAX = PW'((1 << (DW - 1)) - 1);
    localparam logic signed [PW-1:0] VMIN = -PW'(1 << (DW - 1));
    localparam logic [DW-1:0] SMAX = {1'b0, {(DW-1){1'b1}}};
    localparam logic [DW-1:0] SMIN = {1'b1, {(DW-1){1'b0}}};

    logic          va;
    logic [DW-1:0] ai, af, ag, ao;
    /* verilator lint_off PINCONNECTEMPTY */
    fpga_act #(.DW(DW), .FRAC(FRAC)) u_i (.clk, .v_in, .sig(1'b1), .x(pi), .v_out(),   .y(ai));
    fpga_act #(.DW(DW), .FRAC(FRAC)) u_f (.clk, .v_in, .sig(1'b1), .x(pf), .v_out(),   .y(af));
    fpga_act #(.DW(DW), .FRAC(FRAC)) u_g (.clk, .v_in, .sig(1'b0), .x(pg), .v_out(va), .y(ag));
    fpga_act #(.DW(DW), .FRAC(FRAC)) u_o (.clk, .v_in, .sig(1'b1), .x(po), .v_out(),   .y(ao));
    /* verilator lint_on PINCONNECTEMPTY */

    // c and the cell type ride along with the activations.
    logic [DW-1:0] c1, c2;
    logic          v1, rnn1, rnn2;
    always_ff @(posedge clk) begin
        v1 <= v_in;
        if (v_in) begin c1 <= c_in; rnn1 <= rnn; end
        if (v1)   begin c2 <= c1;   rnn2 <= rnn1; end
    end

    // +2 -> +3: the cell state.
    logic signed [PW-1:0] fc, ig, cs;
    logic [DW-1:0]        cn;
    always_comb begin
        fc = $signed(af) * $signed(c2);           // DW x DW, signed, in PW bits
        ig = $signed(ai) * $signed(ag);
        cs = (fc + ig + HALF) >>> FRAC;
        if (cs > VMAX)      cn = SMAX;
        else if (cs < VMIN) cn = SMIN;
        else                cn = cs[DW-1:0];
    end

    logic [DW-1:0] o3, g3, o4, g4, o5, g5;
    logic          rnn3, rnn4, rnn5, v4;
    always_ff @(posedge clk) begin
        v_c <= va;
        if (va) begin c_out <= cn; o3 <= ao; g3 <= ag; rnn3 <= rnn2; end
        v4 <= v_c;
        if (v_c) begin o4 <= o3; g4 <= g3; rnn4 <= rnn3; end
        if (v4)  begin o5 <= o4; g5 <= g4; rnn5 <= rnn4; end
    end

    logic          vt;
    logic [DW-1:0] tc;
    fpga_act #(.DW(DW), .FRAC(FRAC)) u_c (.clk, .v_in(v_c), .sig(1'b0), .x(c_out), .v_out(vt), .y(tc));

    // +5 -> +6: the hidden state.
    logic signed [PW-1:0] ot, hs;
    logic [DW-1:0]        hn;
    always_comb begin
        ot = $signed(o5) * $signed(tc);
        hs = (ot + HALF) >>> FRAC;
        if (hs > VMAX)      hn = SMAX;
        else if (hs < VMIN) hn = SMIN;
        else                hn = hs[DW-1:0];
    end

    always_ff @(posedge clk) begin
        v_h <= vt;
        if (vt) h_out <= rnn5 ? g5 : hn;
    end
endmodule
