// fpga_update.sv — the update engine's datapath: VLANES units per cycle.
//
// Input: 4*VLANES accumulators of one unit group of a finished block (lane
// 4s+g is lane row g of unit s: i, f, g, o for the lstm; r, z, n_x, n_h for
// the gru; lane s is unit s for the rnn) and the group's CMEM word (the
// lstm's c, the gru's h_{t-1}).  Each accumulator is narrowed to a DW-bit
// pre-activation, then one fpga_cell per unit computes c' (or the gru's n
// pre-activation) 3 cycles later and h' 6 cycles later.
module fpga_update #(
    parameter int DW     = 16,
    parameter int FRAC   = 12,
    parameter int AW     = 2 * DW + 16,
    parameter int VLANES = 4
) (
    input  logic                   clk,
    input  logic                   v_in,
    input  logic                   rnn,
    input  logic                   gru,
    input  logic [4*VLANES*AW-1:0] acc,
    input  logic [VLANES*DW-1:0]   c_in,
    output logic                   v_c,
    output logic [VLANES*DW-1:0]   c_out,
    output logic                   v_h,
    output logic [VLANES*DW-1:0]   h_out
);
    logic [4*VLANES*DW-1:0] pre;
    for (genvar i = 0; i < 4*VLANES; i++) begin : g_narrow
        fpga_narrow #(.DW(DW), .FRAC(FRAC), .AW(AW)) u_n (.acc(acc[i*AW +: AW]), .pre(pre[i*DW +: DW]));
    end

    logic [VLANES-1:0] vc, vh;
    for (genvar s = 0; s < VLANES; s++) begin : g_unit
        logic [DW-1:0] pg;
        // rnn: unit s is lane s; lstm and gru: its third row is lane 4s+2.
        assign pg = rnn ? pre[s*DW +: DW] : pre[(4*s+2)*DW +: DW];
        fpga_cell #(.DW(DW), .FRAC(FRAC)) u_cell (
            .clk, .v_in, .rnn, .gru,
            .pi(pre[(4*s)*DW +: DW]), .pf(pre[(4*s+1)*DW +: DW]),
            .pg, .po(pre[(4*s+3)*DW +: DW]),
            .c_in(c_in[s*DW +: DW]),
            .v_c(vc[s]), .c_out(c_out[s*DW +: DW]),
            .v_h(vh[s]), .h_out(h_out[s*DW +: DW])
        );
    end
    // Every unit runs in lockstep.
    assign v_c = &vc;
    assign v_h = &vh;
endmodule
