// fpga_accel.sv — the LSTM/GRU/RNN accelerator (top).  See README.md here for
// the block diagram, the host port's address map, the weight layout and the
// cycle formula; targets/fpga/SPEC.md for the arithmetic.
//
// The cell is a run-time CSR.  The lstm and the gru both take 4 lanes per
// unit (R = 4): the gru's r, z and its n row twice, once with the input
// columns (n_x) and once with the recurrent ones (n_h), the other columns
// zero, so the MAC array keeps W_hn h + b_hn apart for r to scale without
// any change to the array itself; the rnn takes 1.
//
// Dataflow, timestep-major: for t, for layer l, for each block of LANES
// packed (gate-interleaved) rows, for k in 0..K_l-1, for b in 0..B-1:
//     acc[b][lane] += W[row][k] * v_b[k],   v_b = [x_t ; h_{t-1}] of layer l
// One LANES-wide weight word per k serves the whole batch (B cycles).  A
// finished block's accumulators (one of two banks) are drained by the update
// engine while the next block accumulates in the other bank.  A layer-step
// (t, l) starts only when every h' of the previous one is written: that is
// the only bubble, D + 10 cycles (D = the update engine's drain of one block).
module fpga_accel #(
    parameter int DATA_W     = 16,      // bits per value (8..16), two's complement
    parameter int FRAC       = 12,      // fraction bits (1..DATA_W-2): Q3.12 by default
    parameter int LANES      = 16,      // MAC lanes (power of 2)
    parameter int VLANES     = 4,       // units per cycle in the update engine, elements per host beat
    parameter int WMEM_WORDS = 131072,  // on-chip weight capacity, values
    parameter int XMEM_WORDS = 16384,   // input buffer, values
    parameter int YMEM_WORDS = 16384,   // output buffer, values
    parameter int MAX_B      = 8,
    parameter int MAX_H      = 512,
    parameter int MAX_I      = 512,
    parameter int MAX_L      = 4,
    parameter int OC_FIFO    = 32       // off-chip weight FIFO, words
) (
    input  logic                 clk,
    input  logic                 rst,
    // host port: loads weights, biases, inputs and states, reads outputs and CSRs
    input  logic                 hp_we,
    input  logic                 hp_re,
    input  logic [31:0]          hp_addr,
    input  logic [VLANES*DATA_W-1:0] hp_wdata,
    output logic [VLANES*DATA_W-1:0] hp_rdata,   // the cycle after hp_re
    output logic                 busy,
    // off-chip weight memory read port (streamed weights)
    output logic                 oc_rd_en,
    output logic [31:0]          oc_rd_addr,
    input  logic                 oc_rvalid,
    input  logic [LANES*DATA_W-1:0]  oc_rdata
);
    // ---------------------------------------------------------------- sizes
    localparam int DW     = DATA_W;
    localparam int AW     = 2 * DW + 16;                   // accumulator: K <= 65536
    localparam int NSL    = LANES / VLANES;              // host beats per weight word
    localparam int LNW    = $clog2(LANES);
    localparam int VW     = $clog2(VLANES);
    localparam int SW     = $clog2(NSL);
    localparam int BW     = $clog2(MAX_B);
    localparam int HW     = $clog2(MAX_H);
    localparam int IW     = $clog2(MAX_I);
    localparam int LYW    = $clog2(MAX_L);
    localparam int KW     = $clog2(MAX_I + MAX_H);
    localparam int NBMAX  = 4 * MAX_H / LANES;            // blocks per layer at most
    localparam int NBW    = $clog2(NBMAX) + 1;
    localparam int RW     = HW + 3;                        // G*H fits
    localparam int WDEPTH = WMEM_WORDS / LANES;
    localparam int WAW    = $clog2(WDEPTH);
    localparam int BDEPTH = MAX_L * NBMAX;
    localparam int BAW    = $clog2(BDEPTH);
    localparam int XDEPTH = XMEM_WORDS / VLANES;
    localparam int XAW    = $clog2(XDEPTH);
    localparam int XEW    = XAW + VW;                      // element address
    localparam int YDEPTH = YMEM_WORDS / VLANES;
    localparam int YAW    = $clog2(YDEPTH);
    localparam int JW     = HW - VW;                       // word index within a state row
    localparam int HAW    = LYW + 1 + BW + JW;             // {layer, bank, b, word}
    localparam int CAW    = LYW + BW + JW;                 // {layer, b, word}
    localparam int HDEPTH = 1 << HAW;
    localparam int CDEPTH = 1 << CAW;
    localparam int UGW    = LNW - VW;                      // unit-group index in a block
    localparam int RLANES = 4 * VLANES;

    localparam logic [3:0] R_WMEM = 4'd0, R_BMEM = 4'd1, R_XMEM = 4'd2, R_HMEM = 4'd3,
                           R_CMEM = 4'd4, R_YMEM = 4'd5, R_CSR = 4'd6;

    // ------------------------------------------------------------ host port
    logic [3:0]  region;
    logic [27:0] idx;
    assign region = hp_addr[31:28];
    assign idx    = hp_addr[27:0];

    logic running;
    assign busy = running;
    logic host_w, host_r;
    assign host_w = hp_we && !running;     // memories belong to the datapath while running
    assign host_r = hp_re && !running;

    // CSRs
    logic [1:0]        cfg_cell;      // 0 lstm, 1 rnn, 2 gru
    logic              cfg_stream;
    logic [31:0]       cfg_T, cfg_bpc, cfg_nwords;
    logic [BW:0]       cfg_B;
    logic [LYW:0]      cfg_L;
    logic [IW:0]       cfg_I;
    logic [HW:0]       cfg_H;
    logic [63:0]       n_cycles, n_stall, n_macs, n_load;
    logic              start;

    assign start = host_w && region == R_CSR && idx == 28'd0 && hp_wdata[0];

    always_ff @(posedge clk) begin
        if (rst) begin
            cfg_cell <= 2'd0; cfg_stream <= 1'b0;
            cfg_T <= 32'd1; cfg_B <= (BW+1)'(1); cfg_L <= (LYW+1)'(1);
            cfg_I <= (IW+1)'(1); cfg_H <= (HW+1)'(1);
            cfg_bpc <= 32'd256; cfg_nwords <= 32'd1;
        end else if (host_w && region == R_CSR) begin
            case (idx)
                28'd1: cfg_cell   <= hp_wdata[1:0];
                28'd2: cfg_T      <= hp_wdata[31:0];
                28'd3: cfg_B      <= hp_wdata[BW:0];
                28'd4: cfg_L      <= hp_wdata[LYW:0];
                28'd5: cfg_I      <= hp_wdata[IW:0];
                28'd6: cfg_H      <= hp_wdata[HW:0];
                28'd7: cfg_stream <= hp_wdata[0];
                28'd8: cfg_bpc    <= hp_wdata[31:0];
                28'd9: cfg_nwords <= hp_wdata[31:0];
                default: ;
            endcase
        end
    end

    // CSR reads return 32 bits (a beat is at least 4 x 8 bits): register r at
    // index r, its upper half at index r + 256.
    logic [63:0] csr_rdata;
    always_comb begin
        case ({idx[27:9], 1'b0, idx[7:0]})
            28'd16: csr_rdata = n_cycles;
            28'd17: csr_rdata = n_stall;
            28'd18: csr_rdata = n_macs;
            28'd19: csr_rdata = n_load;
            28'd20: csr_rdata = 64'(running);
            28'd24: csr_rdata = 64'(LANES);
            28'd25: csr_rdata = 64'(VLANES);
            28'd26: csr_rdata = 64'(WMEM_WORDS);
            28'd27: csr_rdata = 64'(XMEM_WORDS);
            28'd28: csr_rdata = 64'(YMEM_WORDS);
            28'd29: csr_rdata = 64'(MAX_B);
            28'd30: csr_rdata = 64'(MAX_H);
            28'd31: csr_rdata = 64'(MAX_I);
            28'd32: csr_rdata = 64'(MAX_L);
            28'd33: csr_rdata = 64'(OC_FIFO);
            28'd34: csr_rdata = 64'(DATA_W);
            28'd35: csr_rdata = 64'(FRAC);
            default: csr_rdata = 64'd0;
        endcase
    end

    // ------------------------------------------------------ derived config
    logic          rnn, gru, quad; // quad: 4 lanes per unit (lstm, gru)
    logic [RW-1:0] rows;          // R*H lane rows
    logic [NBW-1:0] nb;           // blocks per layer
    logic [IW:0]   ipad;          // I rounded up to VLANES (x row stride)
    logic [JW:0]   hpw;           // words per output row: ceil(H / VLANES)
    logic [KW:0]   k0, k1;        // K of layer 0 and of the others
    logic [2:0]    gshift;        // log2(lanes per unit group) - VW
    logic [UGW-1:0] nug_m1;       // unit groups per block - 1
    always_comb begin
        rnn    = cfg_cell == 2'd1;
        gru    = cfg_cell == 2'd2;
        quad   = !rnn;
        rows   = quad ? {cfg_H, 2'b00} : RW'(cfg_H);
        nb     = NBW'((rows + RW'(LANES - 1)) >> LNW);
        ipad   = (cfg_I + (IW+1)'(VLANES - 1)) & ~(IW+1)'(VLANES - 1);
        hpw    = (JW+1)'((cfg_H + (HW+1)'(VLANES - 1)) >> VW);
        k0     = (KW+1)'(cfg_I) + (KW+1)'(cfg_H);
        k1     = (KW+1)'(cfg_H) << 1;
        gshift = quad ? 3'd2 : 3'd0;
        nug_m1 = quad ? UGW'((LANES / VLANES / 4) - 1) : UGW'((LANES / VLANES) - 1);
    end

    // ------------------------------------------------------------ memories
    logic [LANES*DW-1:0]  wmem_rdata, bmem_rdata, dma_rdata;
    logic [VLANES*DW-1:0] xmem_rdata, hmem_rdata, cmem_rdata, ymem_rdata;

    // issue-side read controls (set below)
    logic              wmem_re, bmem_re, xmem_re, hmem_re_mac;
    logic [WAW-1:0]    waddr;
    logic [BAW-1:0]    baddr;
    logic [XAW-1:0]    xmem_raddr;
    logic [HAW-1:0]    hmem_raddr_mac;
    // update-engine write/read controls (set below)
    logic [VLANES-1:0] hmem_we_ue, cmem_we_ue, ymem_we_ue;
    logic [HAW-1:0]    hmem_waddr_ue;
    logic [CAW-1:0]    cmem_waddr_ue, cmem_raddr_ue;
    logic              cmem_re_ue;
    logic [YAW-1:0]    ymem_waddr_ue;
    logic [VLANES*DW-1:0] h_new, c_new;

    logic [NSL-1:0] slice_we;
    always_comb begin
        slice_we = '0;
        slice_we[idx[SW-1:0]] = 1'b1;
    end

    fpga_ram #(.DEPTH(WDEPTH), .LANES(NSL), .LW(VLANES*DW)) u_wmem (
        .clk,
        .we(host_w && region == R_WMEM ? slice_we : '0),
        .waddr(idx[SW +: WAW]), .wdata({NSL{hp_wdata}}),
        .re(wmem_re), .raddr(waddr), .rdata(wmem_rdata));

    fpga_ram #(.DEPTH(BDEPTH), .LANES(NSL), .LW(VLANES*DW)) u_bmem (
        .clk,
        .we(host_w && region == R_BMEM ? slice_we : '0),
        .waddr(idx[SW +: BAW]), .wdata({NSL{hp_wdata}}),
        .re(bmem_re), .raddr(baddr), .rdata(bmem_rdata));

    fpga_ram #(.DEPTH(XDEPTH), .LANES(VLANES), .LW(DW)) u_xmem (
        .clk,
        .we({VLANES{host_w && region == R_XMEM}}),
        .waddr(idx[XAW-1:0]), .wdata(hp_wdata),
        .re(xmem_re), .raddr(xmem_raddr), .rdata(xmem_rdata));

    fpga_ram #(.DEPTH(HDEPTH), .LANES(VLANES), .LW(DW)) u_hmem (
        .clk,
        .we(running ? hmem_we_ue : {VLANES{host_w && region == R_HMEM}}),
        .waddr(running ? hmem_waddr_ue : idx[HAW-1:0]),
        .wdata(running ? h_new : hp_wdata),
        .re(running ? hmem_re_mac : host_r && region == R_HMEM),
        .raddr(running ? hmem_raddr_mac : idx[HAW-1:0]),
        .rdata(hmem_rdata));

    fpga_ram #(.DEPTH(CDEPTH), .LANES(VLANES), .LW(DW)) u_cmem (
        .clk,
        .we(running ? cmem_we_ue : {VLANES{host_w && region == R_CMEM}}),
        .waddr(running ? cmem_waddr_ue : idx[CAW-1:0]),
        .wdata(running ? (gru ? h_new : c_new) : hp_wdata),
        .re(running ? cmem_re_ue : host_r && region == R_CMEM),
        .raddr(running ? cmem_raddr_ue : idx[CAW-1:0]),
        .rdata(cmem_rdata));

    fpga_ram #(.DEPTH(YDEPTH), .LANES(VLANES), .LW(DW)) u_ymem (
        .clk,
        .we(ymem_we_ue), .waddr(ymem_waddr_ue), .wdata(h_new),
        .re(host_r && region == R_YMEM), .raddr(idx[YAW-1:0]),
        .rdata(ymem_rdata));

    logic [3:0]  rd_region;
    logic [31:0] csr_q;
    always_ff @(posedge clk) begin
        if (hp_re) begin
            rd_region <= region;
            csr_q     <= idx[8] ? csr_rdata[63:32] : csr_rdata[31:0];
        end
    end
    always_comb begin
        case (rd_region)
            R_HMEM:  hp_rdata = hmem_rdata;
            R_CMEM:  hp_rdata = cmem_rdata;
            R_YMEM:  hp_rdata = ymem_rdata;
            R_CSR:   hp_rdata = (VLANES*DW)'(csr_q);
            default: hp_rdata = '0;
        endcase
    end

    // ----------------------------------------------------- issue sequencer
    logic           all_issued;
    logic [31:0]    t;
    logic [LYW-1:0] l;
    logic [NBW-1:0] blk;
    logic [KW-1:0]  k;
    logic [BW-1:0]  b;
    logic [XEW-1:0] xrow, xboff;
    logic [YAW-1:0] ybase;
    logic           mac_bank;
    logic [RW-1:0]  rows_left;
    // bank_full: a bank holds a block the update engine has not read yet.  It
    // never stalls the issue in practice (README: D <= A - 2 whenever there are
    // two blocks) but is the interlock that makes overlapping them safe.
    logic [1:0]     bank_full, ready;
    logic [2:0]     pending;
    logic           dma_nonempty;

    // Per-bank descriptor of the block it holds, for the update engine.
    localparam int DSW = LYW + 1 + NBW + 1 + YAW;
    logic [DSW-1:0] desc0, desc1;

    logic [KW:0]   kcur, icur;
    logic          new_blk, new_ls, last_k, last_b, last_blk, last_l, last_t;
    logic          want, gate_ok, w_ok, issue, wstall, finish;
    logic          in_part, use_x, prev_layer;
    logic [XEW-1:0] x_elem;
    logic [HW-1:0] h_j;
    logic [HAW+VW-1:0] h_elem;
    logic [RW-1:0] rows_valid, macs_step;

    always_comb begin
        kcur      = (l == '0) ? k0 : k1;
        icur      = (l == '0) ? (KW+1)'(cfg_I) : (KW+1)'(cfg_H);
        new_blk   = (k == '0) && (b == '0);
        new_ls    = new_blk && (blk == '0);
        last_k    = ((KW+1)'(k) == kcur - (KW+1)'(1));
        last_b    = ((BW+1)'(b) == cfg_B - (BW+1)'(1));
        last_blk  = (blk == nb - NBW'(1));
        last_l    = ((LYW+1)'(l) == cfg_L - (LYW+1)'(1));
        last_t    = (t == cfg_T - 32'd1);
        want      = running && !all_issued;
        gate_ok   = (!new_ls || pending == 3'd0) && (!new_blk || !bank_full[mac_bank]);
        w_ok      = !cfg_stream || (b != '0) || dma_nonempty;
        issue     = want && gate_ok && w_ok;
        wstall    = want && gate_ok && !w_ok;
        finish    = running && all_issued && pending == 3'd0;

        // The vector element v_b[k]: x (layer 0), layer l-1's new h, or h_{t-1}.
        in_part    = (KW+1)'(k) < icur;
        use_x      = (l == '0) && in_part;
        prev_layer = (l != '0) && in_part;
        x_elem     = xrow + xboff + XEW'(k);
        h_j        = in_part ? HW'(k) : HW'((KW+1)'(k) - icur);
        h_elem     = {prev_layer ? l - LYW'(1) : l, prev_layer ? ~t[0] : t[0], b, h_j};
        rows_valid = (rows_left > RW'(LANES)) ? RW'(LANES) : rows_left;
        // the gru's n_x and n_h lanes each multiply zeros in the other's
        // columns: 3 of every 4 of its lanes do useful work
        macs_step  = gru ? rows_valid - (rows_valid >> 2) : rows_valid;

        wmem_re        = issue && (b == '0) && !cfg_stream;
        bmem_re        = issue && (k == '0);
        xmem_re        = issue && use_x;
        xmem_raddr     = x_elem[XEW-1:VW];
        hmem_re_mac    = issue && !use_x;
        hmem_raddr_mac = h_elem[HAW+VW-1:VW];
    end

    always_ff @(posedge clk) begin
        if (rst) begin
            running <= 1'b0; all_issued <= 1'b0;
            n_cycles <= '0; n_stall <= '0; n_macs <= '0; n_load <= '0;
        end else if (start) begin
            running <= 1'b1; all_issued <= 1'b0;
            t <= 32'd0; l <= '0; blk <= '0; k <= '0; b <= '0;
            waddr <= '0; baddr <= '0; xrow <= '0; xboff <= '0; ybase <= '0;
            mac_bank <= 1'b0; rows_left <= rows;
            n_cycles <= '0; n_stall <= '0; n_macs <= '0;
        end else begin
            if (host_w && (region == R_WMEM || region == R_BMEM)) n_load <= n_load + 64'd1;
            if (running && !finish) n_cycles <= n_cycles + 64'd1;
            if (finish) running <= 1'b0;
            if (wstall) n_stall <= n_stall + 64'd1;
            if (issue) begin
                n_macs <= n_macs + 64'(macs_step);
                if (new_blk) begin
                    if (mac_bank) desc1 <= {l, t[0], blk, last_l, ybase};
                    else          desc0 <= {l, t[0], blk, last_l, ybase};
                end
                if (last_b) begin
                    b     <= '0;
                    xboff <= '0;
                    if (last_k) begin
                        k        <= '0;
                        mac_bank <= ~mac_bank;
                        waddr    <= waddr + WAW'(1);
                        baddr    <= baddr + BAW'(1);
                        if (last_blk) begin
                            blk       <= '0;
                            rows_left <= rows;
                            if (last_l) begin
                                l     <= '0;
                                t     <= t + 32'd1;
                                xrow  <= xrow + XEW'(cfg_B) * XEW'(ipad);
                                ybase <= ybase + YAW'(cfg_B) * YAW'(hpw);
                                waddr <= '0;
                                baddr <= '0;
                                if (last_t) all_issued <= 1'b1;
                            end else begin
                                l <= l + LYW'(1);
                            end
                        end else begin
                            blk       <= blk + NBW'(1);
                            rows_left <= rows_left - RW'(LANES);
                        end
                    end else begin
                        k     <= k + KW'(1);
                        waddr <= waddr + WAW'(1);
                    end
                end else begin
                    b     <= b + BW'(1);
                    xboff <= xboff + XEW'(ipad);
                end
            end
        end
    end

    // ---------------------------------------------- stage s1: operands in
    logic           s1_v, s1_first, s1_bank, s1_eob, s1_usex;
    logic [BW-1:0]  s1_b;
    logic [VW-1:0]  s1_lane;
    logic           s2_v, s2_eob, s2_bank;
    always_ff @(posedge clk) begin
        if (rst) begin
            s1_v <= 1'b0; s2_v <= 1'b0;
        end else begin
            s1_v <= issue;
            s2_v <= s1_v;
        end
        if (issue) begin
            s1_first <= (k == '0);
            s1_bank  <= mac_bank;
            s1_b     <= b;
            s1_eob   <= last_k && last_b;
            s1_usex  <= use_x;
            s1_lane  <= use_x ? x_elem[VW-1:0] : h_elem[VW-1:0];
        end
        if (s1_v) begin
            s2_eob  <= s1_eob;
            s2_bank <= s1_bank;
        end
    end

    logic [VLANES*DW-1:0] vword;
    logic [DW-1:0]        vx;
    assign vword = s1_usex ? xmem_rdata : hmem_rdata;
    assign vx    = vword[32'(s1_lane) * DW +: DW];

    // ------------------------------------------------------------ MAC array
    logic               ue_go, ue_active, ue_bank;
    logic [BW-1:0]      ub;
    logic [UGW-1:0]     ug;
    logic [RLANES*AW-1:0] r_acc;

    fpga_mac #(.DW(DW), .FRAC(FRAC), .AW(AW), .LANES(LANES), .MAX_B(MAX_B), .RLANES(RLANES)) u_mac (
        .clk,
        .a_v(s1_v), .a_first(s1_first), .a_bank(s1_bank), .a_b(s1_b),
        .a_w(cfg_stream ? dma_rdata : wmem_rdata), .a_x(vx), .a_bias(bmem_rdata),
        .r_en(ue_go), .r_bank(ue_bank), .r_b(ub),
        .r_base(LNW'(ug) << (32'(gshift) + VW)),
        .r_acc);

    // ---------------------------------------------------- weight streaming
    fpga_dma #(.DW(DW), .LANES(LANES), .OC_FIFO(OC_FIFO)) u_dma (
        .clk, .start, .run(running), .enable(cfg_stream),
        .bpc_q(cfg_bpc), .nwords(cfg_nwords), .steps(cfg_T),
        .oc_rd_en, .oc_rd_addr, .oc_rvalid, .oc_rdata,
        .pop(issue && (b == '0) && cfg_stream), .nonempty(dma_nonempty),
        .rdata(dma_rdata));

    // ------------------------------------------------------- update engine
    // Drains a finished bank unit group by unit group (b outer, group inner),
    // one group of VLANES units per cycle: D = B * LANES / (G * VLANES) cycles.
    logic [DSW-1:0] d;
    logic [LYW-1:0] d_l;
    logic           d_tpar, d_lastl;
    logic [NBW-1:0] d_blk;
    logic [YAW-1:0] d_ybase;
    logic           last_group;
    logic [JW-1:0]  jw;
    logic [VLANES-1:0] lane_en;
    logic [YAW-1:0] yaddr;

    always_comb begin
        ue_go      = running && (ue_active || ready[ue_bank]);
        d          = ue_bank ? desc1 : desc0;
        {d_l, d_tpar, d_blk, d_lastl, d_ybase} = d;
        last_group = ((BW+1)'(ub) == cfg_B - (BW+1)'(1)) && (ug == nug_m1);
        jw         = JW'((32'(d_blk) << (LNW - VW - 32'(gshift))) + 32'(ug));
        for (int s = 0; s < VLANES; s++) begin
            lane_en[s] = ((32'(jw) << VW) + s) < 32'(cfg_H);
        end
        yaddr = d_ybase + YAW'(ub) * YAW'(hpw) + YAW'(jw);
    end

    // Tags travel with the group down the update pipeline (u .. u+8).
    localparam int TW = 1 + LYW + 1 + BW + JW + 1 + YAW + VLANES;
    logic [8*TW-1:0] tags;     // stage i (1..8) at [(i-1)*TW +: TW]
    logic [8:1]    tv;
    always_ff @(posedge clk) begin
        if (rst) begin
            tv <= '0;
        end else begin
            tv <= {tv[7:1], ue_go};
        end
        if (ue_go) tags[0 +: TW] <= {last_group, d_l, d_tpar, ub, jw, d_lastl, yaddr, lane_en};
        for (int i = 2; i <= 8; i++) begin
            if (tv[i-1]) tags[(i-1)*TW +: TW] <= tags[(i-2)*TW +: TW];
        end
    end

    always_ff @(posedge clk) begin
        if (rst || start) begin
            ue_active <= 1'b0; ue_bank <= 1'b0; ub <= '0; ug <= '0;
            ready <= 2'b00; bank_full <= 2'b00; pending <= 3'd0;
        end else begin
            if (issue && new_blk) bank_full[mac_bank] <= 1'b1;
            if (s2_v && s2_eob)   ready[s2_bank] <= 1'b1;
            pending <= pending + 3'(issue && last_k && last_b)
                               - 3'(tv[8] && t8_last);
            if (ue_go) begin
                if (last_group) begin
                    ue_active          <= 1'b0;
                    ue_bank            <= ~ue_bank;
                    ub                 <= '0;
                    ug                 <= '0;
                    ready[ue_bank]     <= 1'b0;
                    bank_full[ue_bank] <= 1'b0;
                end else begin
                    ue_active <= 1'b1;
                    if (ug == nug_m1) begin
                        ug <= '0;
                        ub <= ub + BW'(1);
                    end else begin
                        ug <= ug + UGW'(1);
                    end
                end
            end
        end
    end

    // Tag fields, from the top: last group of the block, layer, t parity,
    // batch index, word in the state row, last layer, YMEM word, lane enables.
    localparam int O_Y = VLANES, O_LL = O_Y + YAW, O_JW = O_LL + 1, O_B = O_JW + JW,
                   O_TP = O_B + BW, O_L = O_TP + 1, O_LAST = O_L + LYW;
    localparam int S1 = 0, S5 = 4 * TW, S8 = 7 * TW;
    logic t8_last;
    always_comb begin
        t8_last       = tags[S8 + O_LAST];
        cmem_re_ue    = tv[1];
        cmem_raddr_ue = {tags[S1 + O_L +: LYW], tags[S1 + O_B +: BW], tags[S1 + O_JW +: JW]};
        // lstm: c' at u+5; gru: CMEM keeps a copy of h (its h_{t-1} for the
        // next step, read at u+1 like c), written with h' at u+8
        cmem_waddr_ue = gru ? {tags[S8 + O_L +: LYW], tags[S8 + O_B +: BW], tags[S8 + O_JW +: JW]}
                            : {tags[S5 + O_L +: LYW], tags[S5 + O_B +: BW], tags[S5 + O_JW +: JW]};
        cmem_we_ue    = gru ? (v_h ? tags[S8 +: VLANES] : '0)
                            : (v_c && !rnn) ? tags[S5 +: VLANES] : '0;
        hmem_waddr_ue = {tags[S8 + O_L +: LYW], ~tags[S8 + O_TP], tags[S8 + O_B +: BW], tags[S8 + O_JW +: JW]};
        hmem_we_ue    = v_h ? tags[S8 +: VLANES] : '0;
        ymem_waddr_ue = tags[S8 + O_Y +: YAW];
        ymem_we_ue    = (v_h && tags[S8 + O_LL]) ? tags[S8 +: VLANES] : '0;
    end

    logic v_c, v_h;
    fpga_update #(.DW(DW), .FRAC(FRAC), .AW(AW), .VLANES(VLANES)) u_upd (
        .clk, .v_in(tv[2]), .rnn, .gru, .acc(r_acc), .c_in(cmem_rdata),
        .v_c, .c_out(c_new), .v_h, .h_out(h_new));
endmodule
