// fpga_dma.sv — weight streaming from off-chip memory, for models whose
// packed weights do not fit the on-chip weight memory.
//
// The off-chip link delivers bpc_q / 256 bytes per cycle: a token bucket
// gains bpc_q credits every running cycle and one LANES-wide weight word
// of DW-bit values costs LANES * DW / 8 bytes = LANES * DW * 32 credits.  The DMA requests a word (oc_rd_en,
// oc_rd_addr: word index in the packed per-timestep stream, wrapping every
// nwords words, T times) when the bucket holds a word's worth and the FIFO
// has room for it; the memory (the C++ shim) answers one cycle later with
// oc_rvalid/oc_rdata.  While the FIFO is full the link idles and the bucket
// keeps at most one word's worth: an idle link cannot burst above its rate.
// The MAC array pops one word per k-step; when the FIFO is empty it stalls.
module fpga_dma #(
    parameter int DW      = 16,
    parameter int LANES   = 16,
    parameter int OC_FIFO = 32,
    parameter int FAW     = $clog2(OC_FIFO)
) (
    input  logic                clk,
    input  logic                start,    // a run begins next cycle: clear everything
    input  logic                run,      // the accelerator is running
    input  logic                enable,   // weights are streamed in this run
    input  logic [31:0]         bpc_q,    // bytes per cycle x 256
    input  logic [31:0]         nwords,   // packed weight words per timestep
    input  logic [31:0]         steps,    // timesteps (T)
    output logic                oc_rd_en,
    output logic [31:0]         oc_rd_addr,
    input  logic                oc_rvalid,
    input  logic [LANES*DW-1:0] oc_rdata,
    input  logic                pop,
    output logic                nonempty,
    output logic [LANES*DW-1:0] rdata     // the popped word, the cycle after pop
);
    localparam logic [31:0] COST = 32'(LANES) * 32'(DW) * 32'd32;

    logic [31:0]  credit, step, next;   // next: index of the next word to request
    logic [FAW:0] count;
    logic [FAW-1:0] wptr, rptr;
    logic         more;      // words left to request

    logic [31:0]  acc;
    logic         room, req;
    always_comb begin
        acc  = credit + bpc_q;
        room = (32'(count) + 32'(oc_rd_en)) < 32'(OC_FIFO);
        req  = run && enable && more && room && (acc >= COST);
    end

    always_ff @(posedge clk) begin
        if (start) begin
            credit     <= 32'd0;
            step       <= 32'd0;
            count      <= '0;
            wptr       <= '0;
            rptr       <= '0;
            more       <= 1'b1;
            next       <= 32'd0;
            oc_rd_en   <= 1'b0;
            oc_rd_addr <= 32'd0;
        end else begin
            oc_rd_en <= req;
            if (run && enable && more) begin
                // at most one word per cycle, at most one word banked
                if (req)                     credit <= (acc - COST >= COST) ? COST : acc - COST;
                else if (acc >= COST)        credit <= COST;
                else                         credit <= acc;
            end else begin
                credit <= 32'd0;
            end
            if (req) begin
                oc_rd_addr <= next;
                if (next == nwords - 32'd1) begin
                    next <= 32'd0;
                    step <= step + 32'd1;
                    if (step == steps - 32'd1) more <= 1'b0;
                end else begin
                    next <= next + 32'd1;
                end
            end
            count <= count + (FAW+1)'(oc_rvalid) - (FAW+1)'(pop);
            if (oc_rvalid) wptr <= wptr + 1'b1;
            if (pop)       rptr <= rptr + 1'b1;
        end
    end

    assign nonempty = (count != '0);

    fpga_ram #(.DEPTH(OC_FIFO), .LANES(1), .LW(LANES*DW)) u_fifo (
        .clk, .we(oc_rvalid), .waddr(wptr), .wdata(oc_rdata),
        .re(pop), .raddr(rptr), .rdata
    );
endmodule
