// fpga_mac.sv — the MAC array: LANES multiply-accumulate lanes, each with a
// small accumulator memory of 2 banks x MAX_B batch entries (LUTRAM-sized).
// Values are DW bits with FRAC fraction bits; accumulators AW = 2*DW + 16.
//
// Accumulate path, two stages after the operands arrive (stage s1):
//   s1: p = w[lane] * x                      (DWxDW -> 2*DW bits, one DSP)
//   s2: acc[bank][b] = (first ? bias << FRAC : acc[bank][b]) + p   (AW bits)
// One weight word serves B consecutive cycles (one per batch element), so
// each lane's accumulator memory is read and written at a different batch
// address every cycle and never holds a read-after-write hazard across cycles
// (the same address comes back only B cycles later).
//
// Read path for the update engine: r_en reads every lane's entry at
// (r_bank, r_b) into a register; the next cycle picks RLANES consecutive
// lanes from r_base (wrapping) into r_acc, valid two cycles after r_en.
module fpga_mac #(
    parameter int DW     = 16,
    parameter int FRAC   = 12,
    parameter int AW     = 2 * DW + 16,
    parameter int LANES  = 16,
    parameter int MAX_B  = 8,
    parameter int RLANES = 16,
    parameter int BW     = $clog2(MAX_B),
    parameter int LW     = $clog2(LANES)
) (
    input  logic                clk,
    input  logic                a_v,
    input  logic                a_first,
    input  logic                a_bank,
    input  logic [BW-1:0]       a_b,
    input  logic [LANES*DW-1:0] a_w,
    input  logic [DW-1:0]       a_x,
    input  logic [LANES*DW-1:0] a_bias,
    input  logic                r_en,
    input  logic                r_bank,
    input  logic [BW-1:0]       r_b,
    input  logic [LW-1:0]       r_base,
    output logic [RLANES*AW-1:0] r_acc
);
    // Stage s2 control, shared by all lanes.
    logic          s2_v, s2_first;
    logic [BW:0]   s2_addr;
    always_ff @(posedge clk) begin
        s2_v <= a_v;
        if (a_v) begin
            s2_first <= a_first;
            s2_addr  <= {a_bank, a_b};
        end
    end

    logic [BW:0] r_addr;
    assign r_addr = {r_bank, r_b};

    logic [LANES*AW-1:0] rd_all;

    for (genvar ln = 0; ln < LANES; ln++) begin : g_lane
        logic signed [2*DW-1:0] p;
        logic signed [AW-1:0]   bias;
        logic signed [AW-1:0]   accm [0:2*MAX_B-1];
        logic        [AW-1:0]   rd;

        always_ff @(posedge clk) begin
            if (a_v) begin
                p <= $signed(a_w[ln*DW +: DW]) * $signed(a_x);
                if (a_first)
                    bias <= {{(AW-DW-FRAC){a_bias[ln*DW+DW-1]}}, a_bias[ln*DW +: DW], FRAC'(0)};
            end
            if (s2_v) accm[s2_addr] <= (s2_first ? bias : accm[s2_addr]) + AW'(p);
            if (r_en) rd <= accm[r_addr];
        end
        assign rd_all[ln*AW +: AW] = rd;
    end

    // The reader asks for RLANES lanes starting at r_base, which is always a
    // multiple of GL = RLANES/4: so select four whole groups of GL lanes
    // (a small mux per group) instead of shifting all LANES*AW bits by an
    // arbitrary lane index, which synthesizes to a barrel shifter that
    // exhausted Yosys at LANES = 256.
    localparam int GL = RLANES / 4;
    localparam int NG = LANES / GL;
    localparam int GW = (NG > 1) ? $clog2(NG) : 1;
    logic          r_v1;
    logic [GW-1:0] gbase1;
    always_ff @(posedge clk) begin
        r_v1 <= r_en;
        if (r_en) gbase1 <= GW'(r_base / LW'(GL));
        if (r_v1)
            for (int j = 0; j < 4; j++)
                for (int g = 0; g < NG; g++)
                    if (GW'(gbase1 + GW'(j)) == GW'(g))
                        r_acc[j*GL*AW +: GL*AW] <= rd_all[g*GL*AW +: GL*AW];
    end
endmodule
