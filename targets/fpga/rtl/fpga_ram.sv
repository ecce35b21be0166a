// fpga_ram.sv — simple dual-port RAM: one write port with per-lane write
// enables, one synchronous read port.  Written the way FPGA tools infer block
// RAM: no reset on the array, registered read data, one write address.
module fpga_ram #(
    parameter int DEPTH = 1024,
    parameter int LANES = 4,      // write-enable granularity
    parameter int LW    = 16,     // bits per lane
    parameter int AW    = $clog2(DEPTH)
) (
    input  logic                clk,
    input  logic [LANES-1:0]    we,
    input  logic [AW-1:0]       waddr,
    input  logic [LANES*LW-1:0] wdata,
    input  logic                re,
    input  logic [AW-1:0]       raddr,
    output logic [LANES*LW-1:0] rdata
);
    logic [LANES*LW-1:0] mem [0:DEPTH-1];

    always_ff @(posedge clk) begin
        for (int i = 0; i < LANES; i++) begin
            if (we[i]) mem[waddr][i*LW +: LW] <= wdata[i*LW +: LW];
        end
        if (re) rdata <= mem[raddr];
    end
endmodule
