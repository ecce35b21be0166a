// fpga_narrow.sv — pre = sat(rshr(acc, FRAC)): the accumulator (2*FRAC
// fraction bits, AW = 2*DW + 16 bits) to a DW-bit pre-activation, round half
// up, saturating.
module fpga_narrow #(
    parameter int DW   = 16,
    parameter int FRAC = 12,
    parameter int AW   = 2 * DW + 16
) (
    input  logic [AW-1:0] acc,
    output logic [DW-1:0] pre
);
    localparam int QW = AW - FRAC;
    logic [AW-1:0] r;
    logic [QW-1:0] q;
    always_comb begin
        r = acc + AW'(1 << (FRAC - 1));            // + half, wraps like the AW-bit adder
        q = QW'($signed(r) >>> FRAC);
        if ($signed(q) > $signed(QW'((1 << (DW - 1)) - 1)))  pre = {1'b0, {(DW-1){1'b1}}};
        else if ($signed(q) < -$signed(QW'(1 << (DW - 1))))  pre = {1'b1, {(DW-1){1'b0}}};
        else                                                  pre = q[DW-1:0];
    end
endmodule
