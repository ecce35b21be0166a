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
//
// The gru runs through the same stages and multipliers: its inputs are
// pi = r, pf = z, pg = n_x (W_in x + b_in), po = n_h (W_hn h + b_hn), and
// c_in = h_{t-1}; n_x and n_h ride along to +2 beside the activations, then
//   +3: n_pre = sat(rshr(n_x * 2^FRAC + r*n_h, FRAC))   (in c_out; the f*c
//       multiplier takes r*n_h, and n_x * 2^FRAC is a shift)
//   +5: n = tanh_q(n_pre)                               (the tanh of c')
//   +6: h' = sat(rshr(n * 2^FRAC + z*(h - n), FRAC))    (the o*tanh(c')
//       multiplier takes z and h - n: (1 - z) n + z h with one product)
// with z in o's pipeline registers and h_{t-1} in g's.
module fpga_cell #(
    parameter int DW   = 16,
    parameter int FRAC = 12
) (
    input  logic          clk,
    input  logic          v_in,
    input  logic          rnn,
    input  logic          gru,
    input  logic [DW-1:0] pi, pf, pg, po,
    input  logic [DW-1:0] c_in,
    output logic          v_c,
    output logic [DW-1:0] c_out,
    output logic          v_h,
    output logic [DW-1:0] h_out
);
    // |f*c|, |i*g|, |r*n_h|, |n_x| << FRAC <= 2^(FRAC+DW-1) <= 2^(2DW-3), and
    // |z*(h - n)| <= 2^FRAC * 2^DW <= 2^(2DW-2): every sum fits PW signed bits
    localparam int PW = 2 * DW;
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

    // c (the gru's h_{t-1}), the cell type and the gru's n_x, n_h ride along
    // with the activations.
    logic [DW-1:0] c1, c2, nx1, nx2, nh1, nh2;
    logic          v1, rnn1, rnn2, gru1, gru2;
    always_ff @(posedge clk) begin
        v1 <= v_in;
        if (v_in) begin c1 <= c_in; rnn1 <= rnn; gru1 <= gru; nx1 <= pg;  nh1 <= po;  end
        if (v1)   begin c2 <= c1;   rnn2 <= rnn1; gru2 <= gru1; nx2 <= nx1; nh2 <= nh1; end
    end

    // +2 -> +3: the cell state (the gru's n pre-activation).
    logic [DW-1:0]        ma, mb;
    logic signed [PW-1:0] fc, igm, nxs, ig, cs;
    logic [DW-1:0]        cn;
    always_comb begin
        ma  = gru2 ? ai : af;
        mb  = gru2 ? nh2 : c2;
        fc  = $signed(ma) * $signed(mb);         // f*c, or r*n_h; DW x DW, signed, in PW bits
        igm = $signed(ai) * $signed(ag);
        nxs = $signed({{(DW-FRAC){nx2[DW-1]}}, nx2, FRAC'(0)});   // n_x * 2^FRAC
        ig  = gru2 ? nxs : igm;
        cs  = (fc + ig + HALF) >>> FRAC;
        if (cs > VMAX)      cn = SMAX;
        else if (cs < VMIN) cn = SMIN;
        else                cn = cs[DW-1:0];
    end

    // o3..o5 carry o (the gru's z), g3..g5 the rnn's h' (the gru's h_{t-1}).
    logic [DW-1:0] o3, g3, o4, g4, o5, g5;
    logic          rnn3, rnn4, rnn5, gru3, gru4, gru5, v4;
    always_ff @(posedge clk) begin
        v_c <= va;
        if (va) begin
            c_out <= cn;
            o3    <= gru2 ? af : ao;
            g3    <= gru2 ? c2 : ag;
            rnn3  <= rnn2;
            gru3  <= gru2;
        end
        v4 <= v_c;
        if (v_c) begin o4 <= o3; g4 <= g3; rnn4 <= rnn3; gru4 <= gru3; end
        if (v4)  begin o5 <= o4; g5 <= g4; rnn5 <= rnn4; gru5 <= gru4; end
    end

    logic          vt;
    logic [DW-1:0] tc;
    fpga_act #(.DW(DW), .FRAC(FRAC)) u_c (.clk, .v_in(v_c), .sig(1'b0), .x(c_out), .v_out(vt), .y(tc));

    // +5 -> +6: the hidden state.
    logic [DW:0]          tw, hd, mh;
    logic signed [PW-1:0] ot, tn, hs;
    logic [DW-1:0]        hn;
    always_comb begin
        tw = {tc[DW-1], tc};
        hd = {g5[DW-1], g5} - tw;                // h - n, DW+1 bits: no overflow
        mh = gru5 ? hd : tw;
        ot = $signed(o5) * $signed(mh);          // o*tanh(c'), or z*(h - n)
        tn = gru5 ? $signed({{(DW-FRAC){tc[DW-1]}}, tc, FRAC'(0)}) : PW'(0);   // n * 2^FRAC
        hs = (ot + tn + HALF) >>> FRAC;
        if (hs > VMAX)      hn = SMAX;
        else if (hs < VMIN) hn = SMIN;
        else                hn = hs[DW-1:0];
    end

    always_ff @(posedge clk) begin
        v_h <= vt;
        if (vt) h_out <= rnn5 ? g5 : hn;
    end
endmodule
