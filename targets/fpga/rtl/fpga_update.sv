// fpga_update.sv — the update engine's datapath: VLANES units per cycle.
//
// Input: 4*VLANES accumulators of one unit group of a finished block (gate-
// interleaved: lane 4s+g is gate g of unit s for the lstm; lane s is unit s
// for the rnn) and the group's cell states.  Each accumulator is narrowed to
// a Q3.12 pre-activation, then one fpga_cell per unit computes c' (3 cycles
// later) and h' (6 cycles later).
module fpga_update #(
    parameter int VLANES = 4
) (
    input  logic                   clk,
    input  logic                   v_in,
    input  logic                   rnn,
    input  logic [4*VLANES*48-1:0] acc,
    input  logic [VLANES*16-1:0]   c_in,
    output logic                   v_c,
    output logic [VLANES*16-1:0]   c_out,
    output logic                   v_h,
    output logic [VLANES*16-1:0]   h_out
);
    logic [4*VLANES*16-1:0] pre;
    for (genvar i = 0; i < 4*VLANES; i++) begin : g_narrow
        fpga_narrow u_n (.acc(acc[i*48 +: 48]), .pre(pre[i*16 +: 16]));
    end

    logic [VLANES-1:0] vc, vh;
    for (genvar s = 0; s < VLANES; s++) begin : g_unit
        logic [15:0] pg;
        // rnn: unit s is lane s; lstm: its g gate is lane 4s+2.
        assign pg = rnn ? pre[s*16 +: 16] : pre[(4*s+2)*16 +: 16];
        fpga_cell u_cell (
            .clk, .v_in, .rnn,
            .pi(pre[(4*s)*16 +: 16]), .pf(pre[(4*s+1)*16 +: 16]),
            .pg, .po(pre[(4*s+3)*16 +: 16]),
            .c_in(c_in[s*16 +: 16]),
            .v_c(vc[s]), .c_out(c_out[s*16 +: 16]),
            .v_h(vh[s]), .h_out(h_out[s*16 +: 16])
        );
    end
    // Every unit runs in lockstep.
    assign v_c = &vc;
    assign v_h = &vh;
endmodule
