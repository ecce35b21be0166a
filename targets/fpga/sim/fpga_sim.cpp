// fpga_sim.cpp — C++ shim over the Verilated accelerator models: the host
// side of the accelerator's host port (load, buffers, CSRs), the off-chip
// weight memory that serves its DMA, and the cycle formula of rtl/README.md.
// Exposed to C through fpga_sim.h (extern "C"); nothing else is C++.
#include "fpga_sim.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>
#include <new>
#include <string>
#include <vector>

// The configurations this build verilated (CMake's RB_FPGA_BUILD): one not
// built has no model here and is refused by name when asked for.
#ifdef RB_FPGA_BUILT_SMALL
#include "Vfpga_small.h"
#include "Vfpga_units_small.h"
#endif
#ifdef RB_FPGA_BUILT_LARGE
#include "Vfpga_large.h"
#include "Vfpga_units_large.h"
#endif
#ifdef RB_FPGA_BUILT_SMALL8
#include "Vfpga_small8.h"
#include "Vfpga_units_small8.h"
#endif
#ifdef RB_FPGA_BUILT_CUSTOM
#include "Vfpga_custom.h"
#endif
#include "verilated.h"

namespace
{

// Host-port regions (hp_addr[31:28]) and CSR indices: rtl/README.md.
enum : uint32_t {
    R_WMEM = 0,
    R_BMEM = 1,
    R_XMEM = 2,
    R_HMEM = 3,
    R_CMEM = 4,
    R_YMEM = 5,
    R_CSR = 6
};
enum : uint32_t {
    CSR_CTRL = 0,
    CSR_CELL = 1,
    CSR_T = 2,
    CSR_B = 3,
    CSR_L = 4,
    CSR_I = 5,
    CSR_H = 6,
    CSR_STREAM = 7,
    CSR_BPC = 8,
    CSR_NWORDS = 9,
    CSR_CYCLES = 16,
    CSR_STALL = 17,
    CSR_MACS = 18,
    CSR_LOAD = 19,
    CSR_STATUS = 20,
    CSR_PARAMS = 24, /* LANES, VLANES, WMEM, XMEM, YMEM, MAX_B, MAX_H, MAX_I, MAX_L, OC_FIFO,
                        DATA_W, FRAC */
    CSR_HI = 256     /* + register: its upper 32 bits */
};

long ceil_div(long a, long b) { return (a + b - 1) / b; }

// Shape of a model as the accelerator sees it (fpga_hw.c computes it).
struct Shape {
    int G, H, I, L;
    long nb;     // blocks of LANES packed rows per layer
    long nwords; // packed weight words per timestep
    std::vector<long> K;
};

Shape shape_of(const rb_fpga_hw *hw, const rb_fx_model *fx)
{
    Shape s;
    s.G = fx->gates;
    s.H = fx->hidden;
    s.I = fx->input;
    s.L = fx->layers;
    s.nb = rb_fpga_row_blocks(hw, fx);
    s.nwords = rb_fpga_weight_words(hw, fx);
    for (int l = 0; l < s.L; l++)
        s.K.push_back(rb_fx_k(fx, l));
    return s;
}

// ------------------------------------------------------------- port access
// Narrow Verilator ports are integers, wide ones VlWide<N>; these move
// little-endian 32-bit words in and out of either.
template <typename T> void put(T &port, const uint32_t *w, int nw)
{
    uint64_t v = 0;
    for (int i = 0; i < nw && i < 2; i++)
        v |= (uint64_t)w[i] << (32 * i);
    port = (T)v;
}
template <std::size_t N> void put(VlWide<N> &port, const uint32_t *w, int nw)
{
    for (std::size_t i = 0; i < N; i++)
        port[i] = (int)i < nw ? w[i] : 0;
}
template <typename T> void get(const T &port, uint32_t *w, int nw)
{
    uint64_t v = (uint64_t)port;
    for (int i = 0; i < nw; i++)
        w[i] = i < 2 ? (uint32_t)(v >> (32 * i)) : 0;
}
template <std::size_t N> void get(const VlWide<N> &port, uint32_t *w, int nw)
{
    for (int i = 0; i < nw; i++)
        w[i] = (std::size_t)i < N ? port[i] : 0;
}

// n values of `bits` bits each <-> little-endian 32-bit words (value i at
// bits [i*bits, (i+1)*bits)), the layout of every multi-value port.
int words_for(int n, int bits) { return (n * bits + 31) / 32; }
void pack(const int16_t *v, int n, int bits, uint32_t *w)
{
    const uint32_t mask = (1u << bits) - 1u;
    std::memset(w, 0, sizeof *w * (size_t)words_for(n, bits));
    for (int i = 0; i < n; i++) {
        uint64_t u = (uint64_t)((uint32_t)(uint16_t)v[i] & mask) << ((i * bits) % 32);
        w[i * bits / 32] |= (uint32_t)u;
        if (u >> 32)
            w[i * bits / 32 + 1] |= (uint32_t)(u >> 32);
    }
}
int16_t from_bits(uint64_t u, int bits) // sign-extend the low `bits` bits
{
    uint32_t m = (uint32_t)u & ((1u << bits) - 1u), sign = 1u << (bits - 1);
    return (int16_t)((int32_t)(m ^ sign) - (int32_t)sign);
}
int16_t lane(const uint32_t *w, int i, int bits)
{
    int at = i * bits;
    uint64_t u = w[at / 32] >> (at % 32);
    if (at % 32 + bits > 32)
        u |= (uint64_t)w[at / 32 + 1] << (32 - at % 32);
    return from_bits(u, bits);
}

// One accelerator instance behind a type-erased interface (each
// configuration is a generated class of its own).
struct Dev {
    virtual ~Dev() {}
    virtual void reset() = 0;
    virtual void tick() = 0;
    virtual bool busy() const = 0;
    virtual void host(bool we, bool re, uint32_t addr, const uint32_t *beat) = 0;
    virtual void rdata(uint32_t *beat) const = 0;
    virtual bool oc_req(uint32_t *addr) const = 0;
    virtual void oc_resp(bool valid, const uint32_t *word) = 0;
};

template <class M> struct DevT final : Dev {
    std::unique_ptr<VerilatedContext> ctx;
    std::unique_ptr<M> m;
    int beat_words, word_words;
    explicit DevT(const rb_fpga_hw *hw)
        : ctx(new VerilatedContext), beat_words(words_for(hw->vlanes, hw->fmt.bits)),
          word_words(words_for(hw->lanes, hw->fmt.bits))
    {
        m.reset(new M(ctx.get(), "fpga"));
        // Verilator's first eval() settles the design; an edge is only seen
        // from the second on, so start from a settled clk = 0.
        m->clk = 0;
        m->eval();
    }
    ~DevT() override { m->final(); }
    void tick() override
    {
        m->clk = 1;
        m->eval();
        m->clk = 0;
        m->eval();
    }
    void reset() override
    {
        m->hp_we = 0;
        m->hp_re = 0;
        m->oc_rvalid = 0;
        m->rst = 1;
        tick();
        tick();
        m->rst = 0;
        tick();
    }
    bool busy() const override { return m->busy; }
    void host(bool we, bool re, uint32_t addr, const uint32_t *beat) override
    {
        m->hp_we = we;
        m->hp_re = re;
        m->hp_addr = addr;
        if (we)
            put(m->hp_wdata, beat, beat_words);
        tick();
        m->hp_we = 0;
        m->hp_re = 0;
    }
    void rdata(uint32_t *beat) const override { get(m->hp_rdata, beat, beat_words); }
    bool oc_req(uint32_t *addr) const override
    {
        *addr = m->oc_rd_addr;
        return m->oc_rd_en;
    }
    void oc_resp(bool valid, const uint32_t *word) override
    {
        m->oc_rvalid = valid;
        if (valid)
            put(m->oc_rdata, word, word_words);
    }
};

template <class M> Dev *make_dev(const rb_fpga_hw *hw) { return new DevT<M>(hw); }

} // namespace

struct rb_fpga_sim {
    const rb_fpga_hw *hw;
    std::unique_ptr<Dev> dev;
    double bpc;
    // the loaded model
    bool loaded = false;
    rb_cell cell = RB_CELL_LSTM;
    Shape sh{};
    bool onchip = true;
    uint64_t load_cycles = 0;
    std::vector<uint32_t> dram; // streamed weights: nwords words of word_words() uint32
    int last_T = 0, last_B = 0;

    uint32_t addr(uint32_t region, long idx) const { return region << 28 | (uint32_t)idx; }
    void write(uint32_t region, long idx, const uint32_t *beat)
    {
        dev->host(true, false, addr(region, idx), beat);
    }
    void read(uint32_t region, long idx, uint32_t *beat)
    {
        dev->host(false, true, addr(region, idx), nullptr);
        dev->rdata(beat);
    }
    void csr(uint32_t reg, uint64_t v)
    {
        uint32_t beat[64] = {(uint32_t)v, (uint32_t)(v >> 32)};
        write(R_CSR, reg, beat);
    }
    uint64_t csr(uint32_t reg)
    {
        uint32_t lo[64], hi[64];
        read(R_CSR, reg, lo);
        read(R_CSR, reg + CSR_HI, hi);
        return (uint64_t)lo[0] | (uint64_t)hi[0] << 32;
    }
    int bits() const { return hw->fmt.bits; }
    int word_words() const { return words_for(hw->lanes, hw->fmt.bits); }
    // one host-port beat of vlanes values
    void write_values(uint32_t region, long idx, const int16_t *v)
    {
        uint32_t beat[64];
        pack(v, hw->vlanes, bits(), beat);
        write(region, idx, beat);
    }
    // HMEM/CMEM word addresses: {layer, bank, b, word} and {layer, b, word}
    long hword(int l, int bank, int b, long jw) const
    {
        return (((long)l * 2 + bank) * hw->max_b + b) * (hw->max_h / hw->vlanes) + jw;
    }
    long cword(int l, int b, long jw) const
    {
        return ((long)l * hw->max_b + b) * (hw->max_h / hw->vlanes) + jw;
    }
};

extern "C" {

rb_fpga_sim *rb_fpga_sim_new(const char *config, char *err, size_t errlen)
{
    const rb_fpga_hw *hw = rb_fpga_hw_find(config);
    if (!hw) {
        const rb_fpga_hw *hws;
        int n = rb_fpga_hw_configs(&hws);
        std::string names;
        for (int i = 0; i < n; i++)
            names += std::string(i ? ", " : "") + hws[i].name;
        rb_fpga_fail(err, errlen, RB_EINPUT, "fpga: no configuration '%s' (there are: %s)",
             config ? config : "(null)", names.c_str());
        return nullptr;
    }
    std::unique_ptr<rb_fpga_sim> s(new (std::nothrow) rb_fpga_sim);
    if (!s) {
        rb_fpga_fail(err, errlen, RB_ENOMEM, "fpga: out of memory");
        return nullptr;
    }
    s->hw = hw;
    s->bpc = hw->offchip_bpc;
    // the Verilated model of each configuration this build verilated
    static const struct {
        const char *name;
        Dev *(*make)(const rb_fpga_hw *);
    } built[] = {
#ifdef RB_FPGA_BUILT_SMALL
        {"small", make_dev<Vfpga_small>},
#endif
#ifdef RB_FPGA_BUILT_LARGE
        {"large", make_dev<Vfpga_large>},
#endif
#ifdef RB_FPGA_BUILT_SMALL8
        {"small8", make_dev<Vfpga_small8>},
#endif
#ifdef RB_FPGA_BUILT_CUSTOM
        {"custom", make_dev<Vfpga_custom>},
#endif
        {nullptr, nullptr},
    };
    Dev *(*make)(const rb_fpga_hw *) = nullptr;
    for (int i = 0; built[i].name; i++)
        if (!strcmp(built[i].name, hw->name))
            make = built[i].make;
    if (!make) {
        rb_fpga_fail(err, errlen, RB_EUNAVAIL,
             "fpga %s: not built into this binary (the build verilated only some "
             "configurations: scripts/build.sh builds them all)",
             hw->name);
        return nullptr;
    }
    try {
        s->dev.reset(make(hw));
    } catch (const std::bad_alloc &) {
        rb_fpga_fail(err, errlen, RB_ENOMEM, "fpga %s: cannot allocate the simulated memories", hw->name);
        return nullptr;
    }
    s->dev->reset();
    // The model must be the configuration the table describes.
    const long want[] = {hw->lanes,      hw->vlanes,  hw->wmem_words, hw->xmem_words,
                         hw->ymem_words, hw->max_b,   hw->max_h,      hw->max_i,
                         hw->max_l,      hw->oc_fifo, hw->fmt.bits,   hw->fmt.frac};
    for (int i = 0; i < (int)(sizeof want / sizeof want[0]); i++) {
        uint64_t got = s->csr(CSR_PARAMS + i);
        if (got != (uint64_t)want[i]) {
            rb_fpga_fail(err, errlen, RB_ERUNTIME,
                 "fpga %s: the Verilated model's parameter %d is %llu, the table says %ld "
                 "(rebuild)",
                 hw->name, i, (unsigned long long)got, want[i]);
            return nullptr;
        }
    }
    return s.release();
}

void rb_fpga_sim_free(rb_fpga_sim *s) { delete s; }

const rb_fpga_hw *rb_fpga_sim_hw(const rb_fpga_sim *s) { return s->hw; }

int rb_fpga_sim_set_offchip_bpc(rb_fpga_sim *s, double bpc)
{
    if (!(bpc > 0) || bpc > 1e6)
        return RB_EINPUT;
    s->bpc = bpc;
    return 0;
}

int rb_fpga_sim_load(rb_fpga_sim *s, const rb_fx_model *fx, uint64_t *load_cycles, char *err,
                     size_t errlen)
{
    const rb_fpga_hw *hw = s->hw;
    s->loaded = false;
    int rc = rb_fpga_hw_check(hw, fx, 0, 0, err, errlen);
    if (rc)
        return rc;
    if (fx->cell == RB_CELL_GRU && !fx->bn)
        return rb_fpga_fail(err, errlen, RB_EINPUT,
                            "fpga %s: a gru model without its n rows' recurrent biases (bn)",
                            hw->name);
    Shape sh = shape_of(hw, fx);
    const int lanes = hw->lanes, vl = hw->vlanes, nsl = lanes / vl;
    const long rows = (long)rb_fpga_lane_rows(fx->cell) * sh.H; // lane rows (fpga_hw.h)
    bool onchip = sh.nwords * lanes <= hw->wmem_words;
    if (s->dev->busy())
        return rb_fpga_fail(err, errlen, RB_ERUNTIME, "fpga %s: the accelerator is still busy", hw->name);

    uint64_t before = s->csr(CSR_LOAD);
    const size_t ww = (size_t)s->word_words();
    std::vector<int16_t> word((size_t)lanes);
    try {
        s->dram.assign(onchip ? 0 : (size_t)sh.nwords * ww, 0);
    } catch (const std::bad_alloc &) {
        return rb_fpga_fail(err, errlen, RB_ENOMEM, "fpga %s: cannot allocate %ld streamed weight words",
                    hw->name, sh.nwords);
    }
    long w = 0, bw = 0;
    for (int l = 0; l < sh.L; l++) {
        long K = sh.K[(size_t)l];
        for (long blk = 0; blk < sh.nb; blk++) {
            // one word per k: lane n holds lane row blk*LANES + n (0 past R*H)
            for (long k = 0; k < K; k++, w++) {
                for (int n = 0; n < lanes; n++) {
                    long p = blk * lanes + n;
                    word[(size_t)n] = p < rows ? rb_fpga_lane_weight(fx, l, p, k) : 0;
                }
                if (onchip)
                    for (int sl = 0; sl < nsl; sl++)
                        s->write_values(R_WMEM, w * nsl + sl, word.data() + sl * vl);
                else
                    pack(word.data(), lanes, s->bits(), s->dram.data() + (size_t)w * ww);
            }
            for (int n = 0; n < lanes; n++) {
                long p = blk * lanes + n;
                word[(size_t)n] = p < rows ? rb_fpga_lane_bias(fx, l, p) : 0;
            }
            for (int sl = 0; sl < nsl; sl++)
                s->write_values(R_BMEM, bw * nsl + sl, word.data() + sl * vl);
            bw++;
        }
    }
    s->load_cycles = s->csr(CSR_LOAD) - before;
    if (!onchip)
        s->load_cycles += (uint64_t)sh.nwords * nsl; // the same beats, into off-chip memory
    s->csr(CSR_CELL, fx->cell == RB_CELL_RNN ? 1 : fx->cell == RB_CELL_GRU ? 2 : 0);
    s->csr(CSR_L, (uint64_t)sh.L);
    s->csr(CSR_I, (uint64_t)sh.I);
    s->csr(CSR_H, (uint64_t)sh.H);
    s->csr(CSR_STREAM, !onchip);
    s->csr(CSR_NWORDS, (uint64_t)sh.nwords);
    s->cell = fx->cell;
    s->sh = sh;
    s->onchip = onchip;
    s->loaded = true;
    s->last_T = 0;
    if (load_cycles)
        *load_cycles = s->load_cycles;
    return 0;
}

int rb_fpga_sim_run(rb_fpga_sim *s, int T, int B, const int16_t *x, const int16_t *h0,
                    const int16_t *c0, int16_t *y, rb_fpga_counters *c, char *err, size_t errlen)
{
    const rb_fpga_hw *hw = s->hw;
    if (!s->loaded)
        return rb_fpga_fail(err, errlen, RB_EINPUT, "fpga %s: no model loaded", hw->name);
    if (T < 1 || B < 1 || !x)
        return rb_fpga_fail(err, errlen, RB_EINPUT, "fpga %s: bad run (T %d, B %d%s)", hw->name, T, B,
                    x ? "" : ", no input");
    // the limits (the loaded model's shape passed the rest at load)
    rb_fx_model probe{};
    probe.fmt = hw->fmt;
    probe.cell = s->cell;
    probe.input = s->sh.I;
    probe.hidden = s->sh.H;
    probe.layers = s->sh.L;
    probe.gates = s->sh.G;
    int rc = rb_fpga_hw_check(hw, &probe, T, B, err, errlen);
    if (rc)
        return rc;

    const int vl = hw->vlanes, H = s->sh.H, I = s->sh.I, L = s->sh.L;
    const long ipw = ceil_div(I, vl), hpw = ceil_div(H, vl);
    std::vector<int16_t> lanes((size_t)vl);
    uint32_t beat[64];

    // x: [T][B][I rounded up to VLANES], one beat per word
    for (long r = 0; r < (long)T * B; r++)
        for (long jw = 0; jw < ipw; jw++) {
            for (int n = 0; n < vl; n++) {
                long j = jw * vl + n;
                lanes[(size_t)n] = j < I ? x[r * I + j] : 0;
            }
            s->write_values(R_XMEM, r * ipw + jw, lanes.data());
        }
    // h0 into bank 0, c0 into the cell state; the gru's update engine reads
    // h_{t-1} from CMEM (HMEM's read port belongs to the MAC array), so h0
    // goes there too
    for (int l = 0; l < L; l++)
        for (int b = 0; b < B; b++)
            for (long jw = 0; jw < hpw; jw++) {
                size_t base = ((size_t)l * B + b) * H;
                for (int n = 0; n < vl; n++) {
                    long j = jw * vl + n;
                    lanes[(size_t)n] = j < H && h0 ? h0[base + j] : 0;
                }
                s->write_values(R_HMEM, s->hword(l, 0, b, jw), lanes.data());
                if (s->cell == RB_CELL_GRU)
                    s->write_values(R_CMEM, s->cword(l, b, jw), lanes.data());
                if (s->cell == RB_CELL_LSTM) {
                    for (int n = 0; n < vl; n++) {
                        long j = jw * vl + n;
                        lanes[(size_t)n] = j < H && c0 ? c0[base + j] : 0;
                    }
                    s->write_values(R_CMEM, s->cword(l, b, jw), lanes.data());
                }
            }

    s->csr(CSR_T, (uint64_t)T);
    s->csr(CSR_B, (uint64_t)B);
    s->csr(CSR_BPC, rb_fpga_bpc_q(s->bpc));
    s->csr(CSR_CTRL, 1); // start: the run begins on the next cycle

    // Clock until done; serve the DMA from the off-chip copy, one cycle after
    // each request.  A hang guard far above any legal count.
    rb_fx_model shape{};
    shape.cell = s->cell;
    shape.input = I;
    shape.hidden = H;
    shape.layers = L;
    shape.gates = s->sh.G;
    uint64_t limit = 4 * rb_fpga_cycles_formula(hw, &shape, T, B, s->bpc) + 100000;
    Dev *d = s->dev.get();
    const size_t ww = (size_t)s->word_words();
    uint64_t n = 0;
    if (s->onchip) {
        while (d->busy()) {
            d->tick();
            if (++n > limit)
                break;
        }
    } else {
        uint32_t a = 0;
        bool req = false;
        while (d->busy()) {
            if (req && (long)a < s->sh.nwords)
                d->oc_resp(true, s->dram.data() + a * ww);
            else
                d->oc_resp(false, nullptr);
            d->tick();
            req = d->oc_req(&a);
            if (++n > limit)
                break;
        }
        d->oc_resp(false, nullptr);
    }
    if (d->busy())
        return rb_fpga_fail(err, errlen, RB_ERUNTIME,
                    "fpga %s: the accelerator did not finish within %llu cycles (RTL bug)",
                    hw->name, (unsigned long long)limit);

    if (c) {
        c->cycles = s->csr(CSR_CYCLES);
        c->stall_cycles = s->csr(CSR_STALL);
        c->useful_macs = s->csr(CSR_MACS);
        c->load_cycles = s->load_cycles;
        c->weights_onchip = s->onchip;
    }
    if (y)
        for (long r = 0; r < (long)T * B; r++)
            for (long jw = 0; jw < hpw; jw++) {
                s->read(R_YMEM, r * hpw + jw, beat);
                for (int m = 0; m < vl && jw * vl + m < H; m++)
                    y[r * H + jw * vl + m] = lane(beat, m, s->bits());
            }
    s->last_T = T;
    s->last_B = B;
    return 0;
}

int rb_fpga_sim_state(rb_fpga_sim *s, int16_t *h_n, int16_t *c_n, char *err, size_t errlen)
{
    if (!s->loaded || !s->last_T)
        return rb_fpga_fail(err, errlen, RB_EINPUT, "fpga %s: no run to read the state of", s->hw->name);
    const int vl = s->hw->vlanes, H = s->sh.H, B = s->last_B;
    const long hpw = ceil_div(H, vl);
    uint32_t beat[64];
    for (int l = 0; l < s->sh.L; l++)
        for (int b = 0; b < B; b++)
            for (long jw = 0; jw < hpw; jw++) {
                size_t base = ((size_t)l * B + b) * H;
                if (h_n) {
                    s->read(R_HMEM, s->hword(l, s->last_T & 1, b, jw), beat);
                    for (int m = 0; m < vl && jw * vl + m < H; m++)
                        h_n[base + jw * vl + m] = lane(beat, m, s->bits());
                }
                if (c_n && s->cell == RB_CELL_LSTM) {
                    s->read(R_CMEM, s->cword(l, b, jw), beat);
                    for (int m = 0; m < vl && jw * vl + m < H; m++)
                        c_n[base + jw * vl + m] = lane(beat, m, s->bits());
                }
            }
    return 0;
}

} // extern "C"

// ------------------------------------------------------------- unit harness
namespace
{
// rtl/fpga_units.sv with every input idle and the model settled (the first
// eval() sees no edge); tick() is one clock cycle.  One harness model per
// configuration, in its number format.
template <class M> struct units_harness {
    VerilatedContext ctx;
    M m{&ctx, "units"};
    units_harness()
    {
        m.a_v = 0;
        m.m_v = 0;
        m.m_ren = 0;
        m.c_v = 0;
        m.clk = 0;
        m.eval();
    }
    ~units_harness() { m.final(); }
    void tick()
    {
        m.clk = 1;
        m.eval();
        m.clk = 0;
        m.eval();
    }
};

// value -> its `bits` low bits (Verilator wants inputs without stray high bits)
uint32_t to_bits(int16_t v, int bits) { return (uint32_t)(uint16_t)v & ((1u << bits) - 1u); }
// 4 values -> one 4*bits-wide port (at most 64 bits)
uint64_t pack4(const int16_t *v, int bits)
{
    uint32_t w[2];
    pack(v, 4, bits, w);
    return (uint64_t)w[0] | (uint64_t)w[1] << 32;
}

template <class M>
int unit_act(int bits, const int16_t *x, int16_t *tanh_y, int16_t *sig_y, size_t n)
{
    units_harness<M> u;
    auto &m = u.m;
    // one input per cycle; two stages, so after the tick that takes x[i] the
    // outputs are those of x[i-1]
    for (size_t i = 0; i <= n; i++) {
        m.a_v = i < n;
        m.a_x = i < n ? to_bits(x[i], bits) : 0;
        u.tick();
        if (i >= 1) {
            tanh_y[i - 1] = from_bits(m.a_tanh, bits);
            sig_y[i - 1] = from_bits(m.a_sig, bits);
        }
    }
    return 0;
}

template <class M>
int unit_mac(int bits, const int16_t *w, const int16_t *v, int k, const int16_t bias[4],
             int16_t pre[8])
{
    units_harness<M> u;
    auto &m = u.m;
    int16_t lanes[4];
    m.m_bias = pack4(bias, bits);
    m.m_bank = 1; // the second bank, so both bank bits are exercised
    for (int kk = 0; kk < k; kk++)
        for (int b = 0; b < 2; b++) {
            for (int r = 0; r < 4; r++)
                lanes[r] = w[(size_t)r * k + kk];
            m.m_v = 1;
            m.m_first = kk == 0;
            m.m_b = b;
            m.m_w = pack4(lanes, bits);
            m.m_x = to_bits(v[(size_t)b * k + kk], bits);
            u.tick();
        }
    m.m_v = 0;
    u.tick();
    u.tick();
    for (int b = 0; b < 2; b++) {
        m.m_ren = 1;
        m.m_rbank = 1;
        m.m_rb = b;
        u.tick();
        m.m_ren = 0;
        u.tick();
        uint32_t p[2] = {(uint32_t)(uint64_t)m.m_pre, (uint32_t)((uint64_t)m.m_pre >> 32)};
        for (int r = 0; r < 4; r++)
            pre[b * 4 + r] = lane(p, r, bits);
    }
    return 0;
}

template <class M>
int unit_cell(int bits, int cell, const int16_t *pre, const int16_t *c, int16_t *c_next, int16_t *h,
              size_t n)
{
    units_harness<M> u;
    auto &m = u.m;
    m.c_rnn = cell == RB_CELL_RNN;
    m.c_gru = cell == RB_CELL_GRU;
    size_t nc = 0, nh = 0;
    for (size_t i = 0; nh < n && i < n + 16; i++) {
        m.c_v = i < n;
        if (i < n) {
            m.c_pre = pack4(pre + 4 * i, bits);
            m.c_c = to_bits(c[i], bits);
        }
        u.tick();
        if (m.c_vc && nc < n)
            c_next[nc++] = from_bits(m.c_cnext, bits);
        if (m.c_vh)
            h[nh++] = from_bits(m.c_h, bits);
    }
    return nh == n ? 0 : RB_ERUNTIME;
}

template <class M> bool unit_fmt(int bits, int frac)
{
    units_harness<M> u;
    return u.m.fmt_bits == bits && u.m.fmt_frac == frac;
}

struct unit_ops {
    int (*act)(int, const int16_t *, int16_t *, int16_t *, size_t);
    int (*mac)(int, const int16_t *, const int16_t *, int, const int16_t *, int16_t *);
    int (*cell)(int, int, const int16_t *, const int16_t *, int16_t *, int16_t *, size_t);
    bool (*fmt)(int, int);
};
template <class M> constexpr unit_ops ops_of()
{
    return {unit_act<M>, unit_mac<M>, unit_cell<M>, unit_fmt<M>};
}
// the unit harness of each configuration this build verilated (a custom
// configuration, built to confirm a candidate, has none)
const struct {
    const char *name;
    unit_ops ops;
} k_units[] = {
#ifdef RB_FPGA_BUILT_SMALL
    {"small", ops_of<Vfpga_units_small>()},
#endif
#ifdef RB_FPGA_BUILT_LARGE
    {"large", ops_of<Vfpga_units_large>()},
#endif
#ifdef RB_FPGA_BUILT_SMALL8
    {"small8", ops_of<Vfpga_units_small8>()},
#endif
    {nullptr, {}},
};

// The harness of configuration hw, checked to compute in hw's format.
const unit_ops *units_of(const rb_fpga_hw *hw)
{
    for (int i = 0; hw && k_units[i].name; i++)
        if (!strcmp(k_units[i].name, hw->name))
            return k_units[i].ops.fmt(hw->fmt.bits, hw->fmt.frac) ? &k_units[i].ops : nullptr;
    return nullptr;
}
} // namespace

extern "C" {

int rb_fpga_unit_act(const rb_fpga_hw *hw, const int16_t *x, int16_t *tanh_y, int16_t *sig_y,
                     size_t n)
{
    const unit_ops *u = units_of(hw);
    return u ? u->act(hw->fmt.bits, x, tanh_y, sig_y, n) : RB_ERUNTIME;
}

int rb_fpga_unit_mac(const rb_fpga_hw *hw, const int16_t *w, const int16_t *v, int k,
                     const int16_t bias[4], int16_t pre[8])
{
    if (k < 1)
        return RB_EINPUT;
    const unit_ops *u = units_of(hw);
    return u ? u->mac(hw->fmt.bits, w, v, k, bias, pre) : RB_ERUNTIME;
}

int rb_fpga_unit_cell(const rb_fpga_hw *hw, rb_cell cell, const int16_t *pre, const int16_t *c,
                      int16_t *c_next, int16_t *h, size_t n)
{
    const unit_ops *u = units_of(hw);
    return u ? u->cell(hw->fmt.bits, (int)cell, pre, c, c_next, h, n) : RB_ERUNTIME;
}

} // extern "C"
