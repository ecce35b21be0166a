// fpga_act.sv — tanh_q and sigmoid_q of targets/fpga/SPEC.md, bit-exact, for
// any format the spec allows (DW bits, FRAC fraction bits).
//
// Two pipeline stages, each advancing only when its input is valid:
//   stage 1: fold the sign, saturate |x| to 2^(TR+FRAC) - 1, split it into
//            table index and S-bit fraction, read T[i*P] and T[(i+1)*P] (a
//            dual-port ROM);
//   stage 2: linear interpolation, Q1.15 -> the format with round half up,
//            sign, and for the sigmoid (t + 2^FRAC + 1) >> 1.
// The sigmoid evaluates tanh_q(x >>> 1): the same table serves both.
module fpga_act #(
    parameter int DW   = 16,
    parameter int FRAC = 12
) (
    input  logic          clk,
    input  logic          v_in,
    input  logic          sig,    // 1: sigmoid_q, 0: tanh_q
    input  logic [DW-1:0] x,
    output logic          v_out,  // two cycles after v_in
    output logic [DW-1:0] y       // tanh -2^FRAC..2^FRAC, sigmoid 0..2^FRAC
);
`include "tanh_lut.svh"

    localparam int IB  = DW - 1 - FRAC;              // integer bits, >= 1
    localparam int TR  = IB < 3 ? IB : 3;            // table range [0, 2^TR)
    localparam int SEG = FRAC < 6 ? FRAC : 6;        // log2 segments per unit
    localparam int S   = FRAC - SEG;                 // interpolation bits
    localparam int SW  = S > 0 ? S : 1;              // their register width
    localparam int PS  = 6 - SEG;                    // log2 table stride
    localparam int AW  = TR + FRAC;                  // |x| saturates at 2^AW - 1
    localparam int RS  = 15 - FRAC;                  // Q1.15 -> format shift, >= 1

    // Stage 1 (combinational part).
    logic [DW-1:0] xs, ax;
    localparam int XW = AW > 10 ? AW : 10;
    logic [AW-1:0] a;
    // a >> S has TR + SEG <= 9 significant bits; the rest are zero by
    // construction, whatever the format.
    /* verilator lint_off UNUSEDSIGNAL */
    logic [XW-1:0] ai;
    /* verilator lint_on UNUSEDSIGNAL */
    logic          neg;
    logic [9:0]    i0, i1;
    always_comb begin
        xs  = sig ? {x[DW-1], x[DW-1:1]} : x;      // x >>> 1 for the sigmoid
        neg = xs[DW-1];
        ax  = neg ? (~xs + 1'b1) : xs;             // |x|; the most negative gives 2^(DW-1)
        a   = (|(ax >> AW)) ? {AW{1'b1}} : ax[AW-1:0];  // any bit at or above 2^AW: saturate
        ai  = XW'(a) >> S;                         // < 2^(TR+SEG) <= 2^9
        i0  = 10'(ai) << PS;
        i1  = (10'(ai) + 10'd1) << PS;             // <= 2^(TR+6) <= 512
    end

    logic [15:0]   t0, t1;
    logic [SW-1:0] f1;
    logic          neg1, sig1, v1;
    always_ff @(posedge clk) begin
        v1 <= v_in;
        if (v_in) begin
            t0   <= tanh_lut(i0);
            t1   <= tanh_lut(i1);
            f1   <= SW'(a & AW'((1 << S) - 1));    // 0 when S = 0
            neg1 <= neg;
            sig1 <= sig;
        end
    end

    // Stage 2.
    logic [15:0]       d, m;
    logic [16+SW-1:0]  df;
    logic [FRAC:0]     mag;
    logic [DW-1:0]     r, s;
    logic [DW:0]       sum;
    always_comb begin
        d   = t1 - t0;                             // >= 0: tanh is increasing
        df  = (16+SW)'(d) * (16+SW)'(f1);          // d <= 512 << PS
        m   = t0 + 16'(df >> S);                   // Q1.15, <= 32767
        mag = (FRAC+1)'((17'(m) + 17'(1 << (RS - 1))) >> RS);  // 0..2^FRAC
        r   = neg1 ? (DW'(0) - DW'(mag)) : DW'(mag);
        sum = {r[DW-1], r} + (DW+1)'((1 << FRAC) + 1);         // 1..2^(FRAC+1)+1 for the sigmoid
        s   = DW'(sum >> 1);
    end

    always_ff @(posedge clk) begin
        v_out <= v1;
        if (v1) y <= sig1 ? s : r;
    end
endmodule
