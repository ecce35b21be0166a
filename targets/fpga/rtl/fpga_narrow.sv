// fpga_narrow.sv — pre = sat16(rshr(acc, 12)): the accumulator (Q6.24 sums,
// 48 bits) to a Q3.12 pre-activation, round half up, saturating.
module fpga_narrow (
    input  logic [47:0] acc,
    output logic [15:0] pre
);
    logic [47:0] r;
    logic [35:0] q;
    always_comb begin
        r = acc + 48'd2048;                        // + 2^11, wraps like the 48-bit adder
        q = 36'($signed(r) >>> 12);
        if ($signed(q) > 36'sd32767)       pre = 16'h7fff;
        else if ($signed(q) < -36'sd32768) pre = 16'h8000;
        else                               pre = q[15:0];
    end
endmodule
