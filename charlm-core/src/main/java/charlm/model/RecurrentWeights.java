package charlm.model;

import charlm.kernels.Alignment;
import charlm.kernels.Kernels;

/**
 * Recurrent weights W_1 .. W_G of a cell, each (H, H), that multiply the same (B, H) input at a step:
 * the step's product (out_g += in · W_g) and its transpose (out += Σ_g in_g · W_gᵀ), the panels those
 * read, the order they walk them in, and the gradients dW_g over all steps. A cell keeps one of these
 * per input its recurrent products read: the LSTM one for its four W_h* (all read H_{t−1}), the GRU
 * two ({W_hz, W_hr} read H_{t−1}, {W_hh} reads R_t ⊙ H_{t−1}). Everything elementwise is the cell's.
 *
 * <p>Work is split over the output's columns, never over a sum: a product's columns [j0, j1) are
 * the same sums whoever computes them and in whatever order, so results do not depend on threads.
 */
final class RecurrentWeights {
    private final Parameters.Tensor[] w;
    private final int hidden;        // H
    private final Kernels kernels;
    private final float[] panels;     // (G, H, H): every W_g in panels, packed at each forward over several steps
    private final float[] transposed; // (G, H, H): every W_gᵀ in panels, packed at each backward
    private Parameters params;
    private boolean fromPanels;       // whether the forward pass in progress reads panels or W_g in place

    RecurrentWeights(Parameters.Tensor[] w, int hidden, Kernels kernels) {
        this.w = w.clone();
        this.hidden = hidden;
        this.kernels = kernels;
        this.panels = new float[Alignment.PAD + w.length * hidden * hidden];
        this.transposed = new float[Alignment.PAD + w.length * hidden * hidden];
    }

    void attach(Parameters p) {
        params = p;
    }

    /*
     * A step's products read, for the 64 columns a part owns, a (H, 64) block of each of the G weights.
     * In place such a block is 256 bytes of each 2 KB row (H = 512): rows a power of two apart, so the
     * 512 rows of a block fall on an eighth of the L2's sets, and the blocks of one thread's four parts
     * and four gates overflow those sets' 16 ways while most of the cache stays empty. Packed, each
     * block of each weight is one contiguous (H, w) panel, read front to back:
     *   W_g[p, jb + u] at jb·G·H + g·H·w + p·w + u,  w = min(64, H − jb), jb a multiple of 64.
     * The transposed panels hold W_gᵀ the same way: W_g[jb + u, p] at that place. A panel is made by
     * the part that reads it, so it is made in the L2 of the core that will use it. The sums are the
     * kernels' own, so nothing changes but where the numbers are read from.
     */

    /**
     * Offset of weight g's panel of the block at column jb: after {@link Alignment#PAD}, so that a panel
     * of whole 64-byte rows starts on a cache line, where the kernel's vector loads touch one line each.
     */
    private int panel(int g, int jb) {
        return Alignment.PAD + jb * w.length * hidden + g * hidden * width(jb);
    }

    /** Width, and leading dimension, of the panels of the block at column jb. */
    private int width(int jb) {
        return Math.min(RecurrentLayer.ALIGN, hidden - jb);
    }

    /**
     * Whether the forward pass about to run reads panels ({@link #pack} first, on every part) or the
     * weights in place: one step alone (a Stepper's) reads them in place, as packing would cost as much
     * as the step.
     */
    void readPanels(boolean yes) {
        fromPanels = yes;
    }

    /** Columns [j0, j1) of every W_g into panels. */
    void pack(int j0, int j1) {
        float[] d = params.data;
        for (int jb = j0; jb < j1; jb += RecurrentLayer.ALIGN) {
            int wd = width(jb);
            for (int g = 0; g < w.length; g++) {
                int src = w[g].offset() + jb, out = panel(g, jb);
                for (int p = 0; p < hidden; p++) System.arraycopy(d, src + p * hidden, panels, out + p * wd, wd);
            }
        }
    }

    /**
     * Rows [j0, j1) of every W_g, transposed, into panels: the columns of W_gᵀ that a part's backward
     * products read. In 16 × 16 tiles: a tile's 16 source lines and 16 destination lines (64 bytes
     * each, whole cache lines) stay in L1, where a whole column of W (rows 2 KB apart) would miss on
     * every element (a plain transpose, H = 512, one core: 195 µs tiled against 240 with 8-row strips).
     */
    void packTransposed(int j0, int j1) {
        float[] d = params.data;
        for (int jb = j0; jb < j1; jb += RecurrentLayer.ALIGN) {
            int wd = width(jb);
            for (int g = 0; g < w.length; g++) {
                int off = w[g].offset(), out = panel(g, jb);
                for (int p0 = 0; p0 < hidden; p0 += TILE) {
                    int p1 = Math.min(p0 + TILE, hidden);
                    for (int u0 = 0; u0 < wd; u0 += TILE) {
                        int u1 = Math.min(u0 + TILE, wd);
                        for (int p = p0; p < p1; p++) {
                            for (int u = u0; u < u1; u++) transposed[out + p * wd + u] = d[off + (jb + u) * hidden + p];
                        }
                    }
                }
            }
        }
    }

    static final int TILE = 16;

    /*
     * Serpentine order. One thread's share of a step's weights is about its L2 (the LSTM's four W_h*
     * at H = 512: 2 MB of panels per thread, its L2 is 2 MB), and a cache walked in the same order at
     * every step keeps nothing when the data is a little larger than it: each line is evicted just
     * before it is read again. Walking the blocks (and the weights inside a block) the other way round
     * on every other step reads first what was read last, still in the cache. RecurrentLayer's step
     * tasks hand a thread its parts in the same alternating order. Which columns are computed, and
     * how, does not change, so neither do the results.
     */

    /** The number of 64-column blocks in [j0, j1). */
    private static int blocks(int j0, int j1) {
        return (j1 - j0 + RecurrentLayer.ALIGN - 1) / RecurrentLayer.ALIGN;
    }

    /** The first column of the q-th block of [j0, j1) at step t: counted from the end on odd steps. */
    private static int blockAt(int j0, int j1, int q, int t) {
        return j0 + ((t & 1) == 0 ? q : blocks(j0, j1) - 1 - q) * RecurrentLayer.ALIGN;
    }

    /**
     * The forward product of step t, columns [j0, j1): out_g (B, H) from outOff[g] += in (B, H) from
     * inOff · W_g, for every g. Each weight has its own output, so their order is free too.
     */
    void product(int t, int j0, int j1, int batch, float[] in, int inOff, float[][] out, int outOff) {
        int gates = w.length;
        if (!fromPanels) {
            for (int g = 0; g < gates; g++) {
                kernels.gemmNN(batch, j1 - j0, hidden, in, inOff, hidden, params.data, w[g].offset() + j0, hidden, out[g], outOff + j0, hidden);
            }
            return;
        }
        boolean back = (t & 1) == 1;
        for (int q = 0; q < blocks(j0, j1); q++) {
            int jb = blockAt(j0, j1, q, t), wd = width(jb);
            for (int gg = 0; gg < gates; gg++) {
                int g = back ? gates - 1 - gg : gg;
                kernels.gemmNN(batch, wd, hidden, in, inOff, hidden, panels, panel(g, jb), wd, out[g], outOff + jb, hidden);
            }
        }
    }

    /**
     * The backward product through step t's weights, columns [j0, j1): out (B, H) from outOff +=
     * Σ_g in_g (B, H) from inOff · W_gᵀ, g in order (they add into the same out). Reads the panels
     * {@link #packTransposed} made.
     */
    void transposedProduct(int t, int j0, int j1, int batch, float[][] in, int inOff, float[] out, int outOff) {
        for (int q = 0; q < blocks(j0, j1); q++) {
            int jb = blockAt(j0, j1, q, t), wd = width(jb);
            for (int g = 0; g < w.length; g++) {
                kernels.gemmNN(batch, wd, hidden, in[g], inOff, hidden, transposed, panel(g, jb), wd, out, outOff + jb, hidden);
            }
        }
    }

    /**
     * dW_g += Σ_t P_tᵀ dA_{t,g} over all k = T·B rows, this part's rows of every dW_g, with P the input
     * of the forward product (H_{t−1}, or R_t ⊙ H_{t−1} for the GRU's candidate) from pOff, and dA_g in
     * the panels of Kernels#gemmTNPanels at dAOff + g·k·H (see RecurrentLayer#packStepRows), counted from
     * Alignment.PAD as in {@link RecurrentLayer#dAPanels}.
     */
    void gradients(int k, float[] p, int pOff, float[] dAPanels, int dAOff, int part, int parts) {
        int i0 = RecurrentLayer.rowStart(part, parts, hidden), i1 = RecurrentLayer.rowEnd(part, parts, hidden);
        for (int g = 0; g < w.length; g++) {
            kernels.gemmTNPanels(i1 - i0, hidden, k, p, pOff + i0, hidden, dAPanels, Alignment.PAD + dAOff + g * k * hidden,
                    params.grad, w[g].offset() + i0 * hidden, hidden);
        }
    }
}
