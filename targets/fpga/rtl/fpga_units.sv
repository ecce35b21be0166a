// fpga_units.sv — test harness exposing the accelerator's building blocks
// one by one (not part of the accelerator): the activation unit, a 4-lane
// MAC array with the pre-activation narrowing, and one cell update, in the
// number format of one configuration (DATA_W, FRAC).  The C++ shim drives it
// to compare each block with the C golden model.
module fpga_units #(
    parameter int DATA_W = 16,
    parameter int FRAC   = 12
) (
    input  logic                clk,
    // activation: tanh_q and sigmoid_q of the same x, two cycles later
    input  logic                a_v,
    input  logic [DATA_W-1:0]   a_x,
    output logic [DATA_W-1:0]   a_tanh,
    output logic [DATA_W-1:0]   a_sig,
    // MAC array, 4 lanes, batch 2
    input  logic                m_v,
    input  logic                m_first,
    input  logic                m_bank,
    input  logic                m_b,
    input  logic [4*DATA_W-1:0] m_w,
    input  logic [DATA_W-1:0]   m_x,
    input  logic [4*DATA_W-1:0] m_bias,
    input  logic                m_ren,
    input  logic                m_rbank,
    input  logic                m_rb,
    output logic [4*DATA_W-1:0] m_pre,      // sat(rshr(acc, FRAC)) of the 4 lanes
    // one unit's state update
    input  logic                c_v,
    input  logic                c_rnn,
    input  logic                c_gru,
    input  logic [4*DATA_W-1:0] c_pre,      // i, f, g, o (gru: r, z, n_x, n_h) from bit 0 up
    input  logic [DATA_W-1:0]   c_c,        // c (gru: h_{t-1})
    output logic                c_vc,
    output logic [DATA_W-1:0]   c_cnext,
    output logic                c_vh,
    output logic [DATA_W-1:0]   c_h,
    // the format, for the shim to check
    output logic [7:0]          fmt_bits,
    output logic [7:0]          fmt_frac
);
    localparam int DW = DATA_W;
    localparam int AW = 2 * DW + 16;
    assign fmt_bits = 8'(DATA_W);
    assign fmt_frac = 8'(FRAC);

    /* verilator lint_off PINCONNECTEMPTY */
    fpga_act #(.DW(DW), .FRAC(FRAC)) u_tanh (.clk, .v_in(a_v), .sig(1'b0), .x(a_x), .v_out(), .y(a_tanh));
    fpga_act #(.DW(DW), .FRAC(FRAC)) u_sig  (.clk, .v_in(a_v), .sig(1'b1), .x(a_x), .v_out(), .y(a_sig));
    /* verilator lint_on PINCONNECTEMPTY */

    logic [4*AW-1:0] acc;
    fpga_mac #(.DW(DW), .FRAC(FRAC), .AW(AW), .LANES(4), .MAX_B(2), .RLANES(4)) u_mac (
        .clk, .a_v(m_v), .a_first(m_first), .a_bank(m_bank), .a_b(m_b),
        .a_w(m_w), .a_x(m_x), .a_bias(m_bias),
        .r_en(m_ren), .r_bank(m_rbank), .r_b(m_rb), .r_base(2'd0), .r_acc(acc));
    for (genvar i = 0; i < 4; i++) begin : g_pre
        fpga_narrow #(.DW(DW), .FRAC(FRAC), .AW(AW)) u_n (.acc(acc[i*AW +: AW]), .pre(m_pre[i*DW +: DW]));
    end

    fpga_cell #(.DW(DW), .FRAC(FRAC)) u_cell (
        .clk, .v_in(c_v), .rnn(c_rnn), .gru(c_gru),
        .pi(c_pre[0 +: DW]), .pf(c_pre[DW +: DW]), .pg(c_pre[2*DW +: DW]), .po(c_pre[3*DW +: DW]),
        .c_in(c_c), .v_c(c_vc), .c_out(c_cnext), .v_h(c_vh), .h_out(c_h));
endmodule
