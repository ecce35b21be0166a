// fpga_act.sv — tanh_q and sigmoid_q of targets/fpga/SPEC.md, bit-exact.
//
// Two pipeline stages, each advancing only when its input is valid:
//   stage 1: fold the sign, saturate |x| to 32767, split it into table index
//            and 6-bit fraction, read T[i] and T[i+1] (a dual-port ROM);
//   stage 2: linear interpolation, Q1.15 -> Q3.12 with round half up, sign,
//            and for the sigmoid (t + 4096 + 1) >> 1.
// The sigmoid evaluates tanh_q(x >>> 1): the same table serves both.
module fpga_act (
    input  logic        clk,
    input  logic        v_in,
    input  logic        sig,    // 1: sigmoid_q, 0: tanh_q
    input  logic [15:0] x,      // Q3.12
    output logic        v_out,  // two cycles after v_in
    output logic [15:0] y       // Q3.12: tanh -4096..4096, sigmoid 0..4096
);
`include "tanh_lut.svh"

    // Stage 1 (combinational part).
    logic [15:0] xs, ax;
    logic [14:0] a;
    logic        neg;
    logic [9:0]  i0, i1;
    always_comb begin
        xs  = sig ? {x[15], x[15:1]} : x;          // x >>> 1 for the sigmoid
        neg = xs[15];
        ax  = neg ? (~xs + 16'd1) : xs;            // |x|; -32768 gives 0x8000
        a   = ax[15] ? 15'h7fff : ax[14:0];        // min(|x|, 32767)
        i0  = {1'b0, a[14:6]};
        i1  = i0 + 10'd1;
    end

    logic [15:0] t0, t1;
    logic [5:0]  f1;
    logic        neg1, sig1, v1;
    always_ff @(posedge clk) begin
        v1 <= v_in;
        if (v_in) begin
            t0   <= tanh_lut(i0);
            t1   <= tanh_lut(i1);
            f1   <= a[5:0];
            neg1 <= neg;
            sig1 <= sig;
        end
    end

    // Stage 2.
    logic [15:0] d, m, r, s;
    logic [21:0] df;
    logic [12:0] mag;
    logic [16:0] sum;
    always_comb begin
        d   = t1 - t0;                             // >= 0: tanh is increasing
        df  = d * {10'd0, f1};                     // < 2^16 (d <= 512)
        m   = t0 + 16'(df >> 6);                       // Q1.15, <= 32767
        mag = 13'((17'(m) + 17'd4) >> 3);          // Q3.12, 0..4096
        r   = neg1 ? (16'd0 - {3'd0, mag}) : {3'd0, mag};
        sum = {r[15], r} + 17'd4097;               // 1..8193 for the sigmoid
        s   = 16'(sum >> 1);
    end

    always_ff @(posedge clk) begin
        v_out <= v1;
        if (v1) y <= sig1 ? s : r;
    end
endmodule
