package charlm.kernels;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.offset;

import java.util.Arrays;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The Vector API kernels against the plain reference: products within 1e-5 of Σ|a·b| per element,
 * element-wise kernels bit for bit, tanh within 2e-6 of Math.tanh, and products bit-identical
 * however C is split into row or column blocks.
 */
class VectorKernelsTest {
    /** Per element: |fast − reference| ≤ REL · Σ_p |a_p·b_p| (the two sum in different orders, with and without fma). */
    private static final double REL = 1e-5;
    private static final double TANH_TOL = 2e-6;

    private final Kernels fast = new VectorKernels(32);
    /** The register blocks made for x86 without AVX-512 (16 vector registers), run here whatever the machine has. */
    private final Kernels narrow = new VectorKernels(16);
    private final Kernels ref = new ReferenceKernels();

    enum Op { NN, TN, NT }

    /** One product with its operands laid out with offsets and padded leading dimensions. */
    private static final class Problem {
        final Op op;
        final int m, n, k;
        final float[] a, b, c0;
        final int aOff, lda, bOff, ldb, cOff, ldc;

        Problem(Op op, int m, int n, int k, int pad, Random rnd) {
            this.op = op;
            this.m = m;
            this.n = n;
            this.k = k;
            int aRows = op == Op.TN ? k : m, aCols = op == Op.TN ? m : k;
            int bRows = op == Op.NT ? n : k, bCols = op == Op.NT ? k : n;
            aOff = pad == 0 ? 0 : 3;
            lda = aCols + pad;
            bOff = pad == 0 ? 0 : 5;
            ldb = bCols + pad;
            cOff = pad == 0 ? 0 : 7;
            ldc = n + pad;
            a = random(aOff + aRows * lda + pad, rnd);
            b = random(bOff + bRows * ldb + pad, rnd);
            c0 = random(cOff + m * ldc + pad, rnd);
        }

        float a(int i, int p) {
            return op == Op.TN ? a[aOff + p * lda + i] : a[aOff + i * lda + p];
        }

        float b(int p, int j) {
            return op == Op.NT ? b[bOff + j * ldb + p] : b[bOff + p * ldb + j];
        }

        /** C0 with rows [i0, i1) and columns [j0, j1) of the product added, through the given kernels. */
        float[] run(Kernels kernels, int i0, int i1, int j0, int j1, float[] into) {
            int mm = i1 - i0, nn = j1 - j0;
            int ao = op == Op.TN ? aOff + i0 : aOff + i0 * lda;
            int bo = op == Op.NT ? bOff + j0 * ldb : bOff + j0;
            int co = cOff + i0 * ldc + j0;
            switch (op) {
                case NN -> kernels.gemmNN(mm, nn, k, a, ao, lda, b, bo, ldb, into, co, ldc);
                case TN -> kernels.gemmTN(mm, nn, k, a, ao, lda, b, bo, ldb, into, co, ldc);
                case NT -> kernels.gemmNT(mm, nn, k, a, ao, lda, b, bo, ldb, into, co, ldc);
            }
            return into;
        }

        float[] whole(Kernels kernels) {
            return run(kernels, 0, m, 0, n, c0.clone());
        }
    }

    private static float[] random(int len, Random rnd) {
        float[] x = new float[len];
        for (int i = 0; i < len; i++) x[i] = (float) rnd.nextGaussian();
        return x;
    }

    static Stream<Arguments> shapes() {
        Stream.Builder<Arguments> s = Stream.builder();
        // The model's shapes (B = 32, T = 35, H = 512, V = 28, and B = 2, 1 for generation).
        s.add(Arguments.of(Op.NN, 32, 512, 512, 0));
        s.add(Arguments.of(Op.NN, 32, 256, 512, 0));
        s.add(Arguments.of(Op.NN, 2, 512, 512, 0));
        s.add(Arguments.of(Op.NN, 1, 512, 512, 0));
        s.add(Arguments.of(Op.NN, 1120, 512, 28, 0));
        s.add(Arguments.of(Op.NT, 1120, 28, 512, 0));
        s.add(Arguments.of(Op.NT, 1, 28, 512, 0));
        s.add(Arguments.of(Op.TN, 28, 512, 1120, 0));
        s.add(Arguments.of(Op.TN, 512, 512, 1120, 0));
        // Awkward shapes, with offsets and leading dimensions wider than the matrix.
        int[] sizes = {1, 3, 15, 17, 33};
        for (Op op : Op.values()) {
            for (int m : sizes) for (int n : sizes) for (int k : sizes) s.add(Arguments.of(op, m, n, k, 4));
            s.add(Arguments.of(op, 5, 70, 19, 3));
            s.add(Arguments.of(op, 9, 130, 40, 1));
            s.add(Arguments.of(op, 7, 64, 0, 2));
        }
        return s.build();
    }

    @ParameterizedTest(name = "{0} m={1} n={2} k={3} pad={4}")
    @MethodSource("shapes")
    void productsMatchTheReference(Op op, int m, int n, int k, int pad) {
        Problem pr = new Problem(op, m, n, k, pad, new Random(31L * m + 17L * n + k + op.ordinal()));
        float[] got = pr.whole(fast);
        float[] want = pr.whole(ref);
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double scale = Math.abs(pr.c0[pr.cOff + i * pr.ldc + j]);
                for (int p = 0; p < k; p++) scale += Math.abs((double) pr.a(i, p) * pr.b(p, j));
                int at = pr.cOff + i * pr.ldc + j;
                assertThat(Math.abs((double) got[at] - want[at]))
                        .as("%s C[%d][%d] of %dx%dx%d", op, i, j, m, n, k)
                        .isLessThanOrEqualTo(REL * scale + 1e-30);
            }
        }
        // Outside the C block (offset, padding) nothing was written.
        for (int at = 0; at < got.length; at++) {
            int r = (at - pr.cOff) / pr.ldc, col = (at - pr.cOff) % pr.ldc;
            boolean inside = at >= pr.cOff && r < m && col < n;
            if (!inside) assertThat(got[at]).as("outside C at %d", at).isEqualTo(pr.c0[at]);
        }
    }

    /** The blocks for 16 vector registers (6 × 2, 4 × 2, 6-row strips) give the blocks for 32's bits, at every shape. */
    @ParameterizedTest(name = "{0} m={1} n={2} k={3} pad={4}")
    @MethodSource({"shapes", "splitShapes16"})
    void sixteenRegistersGiveTheSameBits(Op op, int m, int n, int k, int pad) {
        Problem pr = new Problem(op, m, n, k, pad, new Random(31L * m + 17L * n + k + op.ordinal()));
        assertThat(pr.whole(narrow)).isEqualTo(pr.whole(fast));
    }

    static Stream<Arguments> splitShapes16() {
        return splitShapes().map(x -> Arguments.of(x.get()[0], x.get()[1], x.get()[2], x.get()[3], 2));
    }

    @Test
    void registersComeFromTheJvmOrTheSetting() {
        assertThat(((VectorKernels) fast).registers()).isEqualTo(32);
        assertThat(((VectorKernels) narrow).registers()).isEqualTo(16);
        int lanes = jdk.incubator.vector.FloatVector.SPECIES_PREFERRED.length();
        assertThat(fast.detail()).isEqualTo(lanes + " lanes, blocks for 32 registers");
        assertThat(narrow.detail()).isEqualTo(lanes + " lanes, blocks for 16 registers");
        assertThat(ref.detail()).isEmpty();
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> new VectorKernels(24)).hasMessageContaining("16 or 32");
        String before = System.getProperty("charlm.kernels.registers");
        try {
            System.setProperty("charlm.kernels.registers", "16");
            assertThat(VectorKernels.vectorRegisters()).isEqualTo(16);
            assertThat(new VectorKernels().registers()).as("the kernels the setting makes").isEqualTo(16);
            assertThat(new VectorKernels().detail()).endsWith("blocks for 16 registers");
            System.setProperty("charlm.kernels.registers", "24");
            org.assertj.core.api.Assertions.assertThatThrownBy(VectorKernels::vectorRegisters)
                    .hasMessageContaining("charlm.kernels.registers must be 16 or 32, got 24");
            System.clearProperty("charlm.kernels.registers");
            // This JVM's own answer: 16 only on x86 below AVX-512.
            com.sun.management.HotSpotDiagnosticMXBean vm = java.lang.management.ManagementFactory
                    .getPlatformMXBean(com.sun.management.HotSpotDiagnosticMXBean.class);
            boolean x86 = System.getProperty("os.arch").matches("amd64|x86_64");
            int want = x86 && Integer.parseInt(vm.getVMOption("UseAVX").getValue()) < 3 ? 16 : 32;
            assertThat(VectorKernels.vectorRegisters()).isEqualTo(want);
        } finally {
            if (before == null) System.clearProperty("charlm.kernels.registers");
            else System.setProperty("charlm.kernels.registers", before);
        }
    }

    static Stream<Arguments> splitShapes() {
        return Stream.of(
                Arguments.of(Op.NN, 32, 512, 512),
                Arguments.of(Op.NN, 1120, 512, 28),
                Arguments.of(Op.TN, 512, 512, 1120),
                Arguments.of(Op.TN, 28, 512, 1120),
                Arguments.of(Op.NT, 1120, 28, 512),
                Arguments.of(Op.NT, 33, 45, 77),
                Arguments.of(Op.NN, 33, 95, 77),
                // From 32 rows on, B's rows 1 KB apart or more, gemmNN copies B's column panels; split into fewer rows it reads them in place.
                Arguments.of(Op.NN, 70, 300, 200),
                // Rows in 6-row blocks and the last 4 or 8 in 4-row blocks: 128 = 6·20 + 8, 100 = 6·16 + 4, 36 = 6·6; a
                // split moves rows from one kind of block to the other (and to the general block's edges).
                Arguments.of(Op.NN, 128, 130, 64),
                Arguments.of(Op.NN, 100, 64, 37),
                Arguments.of(Op.NN, 36, 200, 300),
                Arguments.of(Op.TN, 33, 95, 77));
    }

    /** Any split of C into blocks, even ones that move columns between vector and scalar paths, changes no bit. */
    @ParameterizedTest(name = "{0} m={1} n={2} k={3}")
    @MethodSource("splitShapes")
    void splittingCChangesNoBit(Op op, int m, int n, int k) {
        splitsAgree(fast, op, m, n, k);
        splitsAgree(narrow, op, m, n, k);
    }

    private static void splitsAgree(Kernels fast, Op op, int m, int n, int k) {
        Problem pr = new Problem(op, m, n, k, 2, new Random(7));
        float[] whole = pr.whole(fast);
        for (int cut : new int[] {n / 2, 17, 256, 1, n - 1}) {
            if (cut <= 0 || cut >= n) continue;
            float[] split = pr.run(fast, 0, m, 0, cut, pr.c0.clone());
            pr.run(fast, 0, m, cut, n, split);
            assertThat(split).as("columns split at %d", cut).isEqualTo(whole);
        }
        // Three uneven column pieces.
        if (n > 20) {
            float[] split = pr.run(fast, 0, m, 0, 3, pr.c0.clone());
            pr.run(fast, 0, m, 3, 20, split);
            pr.run(fast, 0, m, 20, n, split);
            assertThat(split).as("columns split at 3 and 20").isEqualTo(whole);
        }
        for (int cut : new int[] {m / 2, 1, 5, m - 3}) {
            if (cut <= 0 || cut >= m) continue;
            float[] split = pr.run(fast, 0, cut, 0, n, pr.c0.clone());
            pr.run(fast, cut, m, 0, n, split);
            assertThat(split).as("rows split at %d", cut).isEqualTo(whole);
        }
        // Element by element: the 1 x 1 path agrees with every blocked path.
        Random rnd = new Random(3);
        for (int t = 0; t < 200; t++) {
            int i = rnd.nextInt(m), j = rnd.nextInt(n);
            float[] one = pr.run(fast, i, i + 1, j, j + 1, pr.c0.clone());
            int at = pr.cOff + i * pr.ldc + j;
            assertThat(one[at]).as("C[%d][%d] alone", i, j).isEqualTo(whole[at]);
        }
    }

    @Test
    void tanhIsWithinToleranceOfMathTanhOnADenseGrid() {
        int count = 4_000_001; // [-20, 20] in steps of 1e-5
        float[] x = new float[count];
        for (int i = 0; i < count; i++) x[i] = (float) (-20.0 + i * 1e-5);
        float[] y = x.clone();
        fast.tanh(y, 0, count);
        double worst = 0;
        for (int i = 0; i < count; i++) worst = Math.max(worst, Math.abs(y[i] - Math.tanh(x[i])));
        assertThat(worst).isLessThanOrEqualTo(TANH_TOL);
    }

    @Test
    void tanhIsOddExactAtZeroAndSaturates() {
        Random rnd = new Random(5);
        int count = 100_003;
        float[] x = new float[count];
        for (int i = 0; i < count; i++) x[i] = (float) (rnd.nextGaussian() * 4);
        float[] pos = x.clone(), neg = new float[count];
        for (int i = 0; i < count; i++) neg[i] = -x[i];
        fast.tanh(pos, 0, count);
        fast.tanh(neg, 0, count);
        for (int i = 0; i < count; i++) assertThat(neg[i]).isEqualTo(-pos[i]);

        float[] special = {0f, -0f, 9f, -9f, 12f, -20f, 1e30f, -1e30f, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY,
                Float.MIN_VALUE, 1e-20f, -1e-7f, Float.NaN};
        // Through the vector path (a full vector of each value) and the scalar tail (length 1).
        for (float v : special) {
            float[] row = new float[17];
            Arrays.fill(row, v);
            fast.tanh(row, 0, 17);
            for (float r : row) {
                if (Float.isNaN(v)) assertThat(r).as("tanh(NaN)").isNaN();
                else if (Math.abs(v) >= 9f) assertThat(r).as("tanh(%s)", v).isEqualTo(Math.signum(v));
                else assertThat((double) r).as("tanh(%s)", v).isCloseTo(Math.tanh(v), offset(TANH_TOL * Math.abs(v)));
            }
        }
        float[] z = {0f, -0f, 0f, -0f, 0f, -0f, 0f, -0f, 0f, -0f, 0f, -0f, 0f, -0f, 0f, -0f, -0f};
        fast.tanh(z, 0, z.length);
        for (int i = 0; i < z.length; i++) {
            assertThat(Float.floatToRawIntBits(z[i])).isEqualTo(Float.floatToRawIntBits(i % 2 == 0 && i < 16 ? 0f : -0f));
        }
    }

    @Test
    void tanhTouchesOnlyItsRangeAndMatchesTheReferenceInTails() {
        Random rnd = new Random(11);
        for (int len : new int[] {0, 1, 3, 15, 16, 17, 33, 512, 16384 + 5}) {
            float[] x = random(len + 10, rnd);
            float[] got = x.clone(), want = x.clone();
            fast.tanh(got, 3, len);
            ref.tanh(want, 3, len);
            for (int i = 0; i < x.length; i++) {
                if (i < 3 || i >= 3 + len) assertThat(got[i]).isEqualTo(x[i]);
                else assertThat((double) got[i]).isCloseTo(want[i], offset(TANH_TOL));
            }
        }
    }

    @Test
    void elementWiseKernelsMatchTheReferenceBitForBit() {
        Random rnd = new Random(13);
        for (int len : new int[] {0, 1, 3, 15, 16, 17, 33, 16384 + 7}) {
            float[] dh = random(len + 4, rnd), hRaw = random(len + 6, rnd);
            float[] h = hRaw.clone();
            ref.tanh(h, 0, h.length);
            h[2] = 0f;
            h[3] = -0f;

            float[] daFast = random(len + 9, rnd), daRef = daFast.clone();
            fast.tanhBackward(dh, 1, h, 2, daFast, 5, len);
            ref.tanhBackward(dh, 1, h, 2, daRef, 5, len);
            assertThat(daFast).as("tanhBackward len %d", len).isEqualTo(daRef);

            float[] xFast = hRaw.clone(), xRef = hRaw.clone();
            fast.relu(xFast, 2, len);
            ref.relu(xRef, 2, len);
            assertThat(xFast).as("relu len %d", len).isEqualTo(xRef);

            float[] r = xRef; // relu outputs: zeros where the input was negative
            fast.reluBackward(dh, 1, r, 2, daFast, 5, len);
            ref.reluBackward(dh, 1, r, 2, daRef, 5, len);
            assertThat(daFast).as("reluBackward len %d", len).isEqualTo(daRef);

            float[] y0 = random(len + 7, rnd), yFast = y0.clone(), yRef = y0.clone();
            fast.add(dh, 1, yFast, 3, len);
            ref.add(dh, 1, yRef, 3, len);
            assertThat(yFast).as("add len %d", len).isEqualTo(yRef);
            for (int i = 0; i < y0.length; i++) {
                float want = i >= 3 && i < 3 + len ? y0[i] + dh[i - 2] : y0[i];
                assertThat(yFast[i]).as("add len %d at %d", len, i).isEqualTo(want);
            }
        }
    }

    /**
     * The fused LSTM cell backward against its definition (the interface's default, which the
     * reference kernels keep), bit for bit, on whole vectors and on tails, at offsets; nothing outside
     * the len columns written.
     */
    @Test
    void lstmCellBackwardMatchesItsDefinitionBitForBit() {
        Random rnd = new Random(19);
        for (int len : new int[] {0, 1, 15, 16, 17, 64, 100}) {
            int size = len + 9, off = 5, cOff = 2, dcOff = 3;
            float[] dh = random(size, rnd), tanhC = tanhOf(random(size, rnd)), cPrev = random(size, rnd);
            float[][] gates = {sigmoidOf(random(size, rnd)), sigmoidOf(random(size, rnd)), sigmoidOf(random(size, rnd)),
                    tanhOf(random(size, rnd))};
            float[] dc0 = random(size, rnd);
            float[][] dA0 = {random(size, rnd), random(size, rnd), random(size, rnd), random(size, rnd)};
            float[] dcFast = dc0.clone(), dcRef = dc0.clone();
            float[][] dAFast = copy(dA0), dARef = copy(dA0);
            fast.lstmCellBackward(dh, gates, tanhC, off, cPrev, cOff, dcFast, dcOff, dAFast, len);
            ref.lstmCellBackward(dh, gates, tanhC, off, cPrev, cOff, dcRef, dcOff, dARef, len);
            assertThat(dcFast).as("dc len %d", len).isEqualTo(dcRef);
            for (int g = 0; g < 4; g++) {
                assertThat(dAFast[g]).as("dA[%d] len %d", g, len).isEqualTo(dARef[g]);
                for (int i = 0; i < size; i++) {
                    if (i < off || i >= off + len) assertThat(dAFast[g][i]).as("dA[%d] outside at %d", g, i).isEqualTo(dA0[g][i]);
                }
            }
            if (len > 0) { // one column worked by hand: the output gate's gradient, dH ⊙ tanh(C) ⊙ O(1 − O)
                float o = gates[2][off], want = dh[off] * tanhC[off] * o * (1f - o);
                assertThat(dAFast[2][off]).isEqualTo(want);
            }
        }
    }

    /**
     * The fused LSTM cell forward on each kernel set against its passes one after another on that
     * set's σ and tanh (the definition), bit for bit: whole vectors, tails, offsets, C_prev and C in
     * one array as the layer keeps them; nothing outside the len columns written. And one column by
     * hand against Math.tanh, within the kernels' tolerance.
     */
    @Test
    void lstmCellForwardIsItsPassesBitForBit() {
        Random rnd = new Random(23);
        for (Kernels kern : new Kernels[] {fast, narrow, ref}) {
            for (int len : new int[] {0, 1, 15, 16, 17, 64, 100, 517}) {
                int size = len + 11, off = 5, hOff = 3, cPrevOff = 2, cOff = cPrevOff + size;
                float[][] pre = new float[4][];
                for (int g = 0; g < 4; g++) {
                    pre[g] = random(size, rnd);
                    for (int i = 0; i < size; i++) pre[g][i] *= 4f; // into σ's and tanh's tails too
                }
                float[] c0 = random(2 * size + 4, rnd), tanhC0 = random(size, rnd), h0 = random(size, rnd);
                float[][] gates = copy(pre), gatesWant = copy(pre);
                float[] c = c0.clone(), tanhC = tanhC0.clone(), h = h0.clone();
                float[] cWant = c0.clone(), tanhCWant = tanhC0.clone(), hWant = h0.clone();
                kern.lstmCellForward(gates, off, c, cPrevOff, c, cOff, tanhC, h, hOff, len);

                kern.sigmoid(gatesWant[0], off, len);
                kern.sigmoid(gatesWant[1], off, len);
                kern.sigmoid(gatesWant[2], off, len);
                kern.tanh(gatesWant[3], off, len);
                for (int j = 0; j < len; j++) {
                    float cj = gatesWant[1][off + j] * cWant[cPrevOff + j] + gatesWant[0][off + j] * gatesWant[3][off + j];
                    cWant[cOff + j] = cj;
                    tanhCWant[off + j] = cj;
                }
                kern.tanh(tanhCWant, off, len);
                for (int j = 0; j < len; j++) hWant[hOff + j] = gatesWant[2][off + j] * tanhCWant[off + j];

                String at = kern.name() + " len " + len;
                for (int g = 0; g < 4; g++) assertThat(gates[g]).as("gate %d, %s", g, at).isEqualTo(gatesWant[g]);
                assertThat(c).as("C, %s", at).isEqualTo(cWant);
                assertThat(tanhC).as("tanh(C), %s", at).isEqualTo(tanhCWant);
                assertThat(h).as("H, %s", at).isEqualTo(hWant);
                for (int i = 0; i < size; i++) {
                    boolean inside = i >= off && i < off + len;
                    if (!inside) assertThat(tanhC[i]).as("tanh(C) outside at %d, %s", i, at).isEqualTo(tanhC0[i]);
                    if (i < hOff || i >= hOff + len) assertThat(h[i]).as("H outside at %d, %s", i, at).isEqualTo(h0[i]);
                }
                if (len > 0) { // the first column by hand
                    double i0 = 1 / (1 + Math.exp(-pre[0][off])), f0 = 1 / (1 + Math.exp(-pre[1][off]));
                    double o0 = 1 / (1 + Math.exp(-pre[2][off])), g0 = Math.tanh(pre[3][off]);
                    double cHand = f0 * c0[cPrevOff] + i0 * g0;
                    assertThat((double) c[cOff]).as("C by hand, %s", at).isCloseTo(cHand, offset(4 * TANH_TOL * (1 + Math.abs(c0[cPrevOff]))));
                    assertThat((double) h[hOff]).as("H by hand, %s", at).isCloseTo(o0 * Math.tanh(cHand), offset(8 * TANH_TOL * (1 + Math.abs(c0[cPrevOff]))));
                }
            }
        }
    }

    /**
     * The GRU's two fused forward kernels on each kernel set against their passes on that set's σ and
     * tanh, bit for bit: whole vectors, tails, offsets, H_{t−1} and H in one array as the layer keeps
     * them; nothing outside the len columns written.
     */
    @Test
    void gruForwardKernelsAreTheirPassesBitForBit() {
        Random rnd = new Random(29);
        for (Kernels kern : new Kernels[] {fast, narrow, ref}) {
            for (int len : new int[] {0, 1, 15, 16, 17, 64, 100, 517}) {
                int size = len + 11, off = 5, hPrevOff = 2, hOff = hPrevOff + size;
                float[] z0 = random(size, rnd), r0 = random(size, rnd), hc0 = random(size, rnd), rh0 = random(size, rnd);
                float[] h0 = random(2 * size + 4, rnd);
                for (int i = 0; i < size; i++) { // into σ's and tanh's tails too
                    z0[i] *= 4f;
                    r0[i] *= 4f;
                    hc0[i] *= 4f;
                }
                float[] z = z0.clone(), r = r0.clone(), rh = rh0.clone(), hc = hc0.clone(), h = h0.clone();
                kern.gruGatesForward(z, r, off, h, hPrevOff, rh, len);
                kern.gruStateForward(hc, z, off, h, hPrevOff, h, hOff, len);

                float[] zWant = z0.clone(), rWant = r0.clone(), rhWant = rh0.clone(), hcWant = hc0.clone(), hWant = h0.clone();
                kern.sigmoid(zWant, off, len);
                kern.sigmoid(rWant, off, len);
                for (int j = 0; j < len; j++) rhWant[off + j] = rWant[off + j] * hWant[hPrevOff + j];
                kern.tanh(hcWant, off, len);
                for (int j = 0; j < len; j++) {
                    float zj = zWant[off + j];
                    hWant[hOff + j] = zj * hWant[hPrevOff + j] + (1f - zj) * hcWant[off + j];
                }

                String at = kern.name() + " len " + len;
                assertThat(z).as("Z, %s", at).isEqualTo(zWant);
                assertThat(r).as("R, %s", at).isEqualTo(rWant);
                assertThat(rh).as("R ⊙ H, %s", at).isEqualTo(rhWant);
                assertThat(hc).as("H̃, %s", at).isEqualTo(hcWant);
                assertThat(h).as("H, %s", at).isEqualTo(hWant);
                for (int i = 0; i < size; i++) {
                    if (i < off || i >= off + len) assertThat(rh[i]).as("R ⊙ H outside at %d, %s", i, at).isEqualTo(rh0[i]);
                }
            }
        }
    }

    private float[] sigmoidOf(float[] x) {
        ref.sigmoid(x, 0, x.length);
        return x;
    }

    private float[] tanhOf(float[] x) {
        ref.tanh(x, 0, x.length);
        return x;
    }

    private static float[][] copy(float[][] x) {
        float[][] y = new float[x.length][];
        for (int i = 0; i < x.length; i++) y[i] = x[i].clone();
        return y;
    }

    /**
     * σ on each kernel set is that set's tanh between x·0.5 and ·0.5 + 0.5, bit for bit (the cells'
     * gates were computed in those three passes before the one-pass kernel), and the fast σ is within
     * half the tanh tolerance of the reference's; only its range is touched.
     */
    @Test
    void sigmoidIsTheHalvedTanhOfItsKernelSetInOnePass() {
        Random rnd = new Random(17);
        for (int len : new int[] {0, 1, 3, 15, 16, 17, 33, 512, 16384 + 5}) {
            float[] x = random(len + 10, rnd);
            for (int i = 0; i < x.length; i += 7) x[i] *= 40f; // some far into saturation
            for (Kernels k : new Kernels[] {fast, ref}) {
                float[] got = x.clone(), want = x.clone();
                k.sigmoid(got, 3, len);
                for (int i = 3; i < 3 + len; i++) want[i] *= 0.5f;
                k.tanh(want, 3, len);
                for (int i = 3; i < 3 + len; i++) want[i] = 0.5f * want[i] + 0.5f;
                assertThat(got).as("%s sigmoid len %d", k.name(), len).isEqualTo(want);
            }
            float[] got = x.clone(), want = x.clone();
            fast.sigmoid(got, 3, len);
            ref.sigmoid(want, 3, len);
            for (int i = 0; i < x.length; i++) {
                if (i < 3 || i >= 3 + len) assertThat(got[i]).isEqualTo(x[i]);
                else assertThat((double) got[i]).isCloseTo(want[i], offset(TANH_TOL));
            }
        }
    }

    /**
     * gemmTNPanels on B packed into panels (in two column ranges, as two threads would, the second in
     * two blocks of rows, as the model packs a step's rows at a time) is gemmTN
     * bit for bit, on each kernel set: the same chains, only B read from elsewhere. Shapes with
     * narrow last panels, leftover rows, short k, and C inside a wider matrix; from k = 4096 the
     * panel product runs over k in blocks of 256 with its sums carried between them: a short last
     * block, more rows than one group (512, or 510 with 16 registers), and C so wide that a group
     * holds fewer rows (n = 4128: 120 rows, 2 groups for 136).
     */
    @ParameterizedTest(name = "m={0} n={1} k={2}")
    @MethodSource("panelShapes")
    void panelProductIsTheTransposedProductBitForBit(int m, int n, int k) {
        Random rnd = new Random(41L * m + 7L * n + k);
        int lda = m + 3, ldb = n + 5, ldc = n + 2;
        float[] a = random(2 + k * lda, rnd), b = random(1 + k * ldb, rnd), c0 = random(4 + m * ldc, rnd);
        for (Kernels kern : new Kernels[] {fast, narrow, ref}) {
            int w = kern.panelWidth();
            assertThat(64 % w).as("%s panel width divides 64", kern.name()).isZero();
            float[] panels = new float[3 + k * n];
            int split = Math.min(n, w * ((n / w + 1) / 2));
            Kernels.packPanels(k, n, w, b, 1, ldb, 0, k, 0, split, panels, 3);
            Kernels.packPanels(k, n, w, b, 1, ldb, 0, k / 2, split, n, panels, 3);
            Kernels.packPanels(k, n, w, b, 1, ldb, k / 2, k, split, n, panels, 3);
            float[] want = c0.clone(), got = c0.clone();
            kern.gemmTN(m, n, k, a, 2, lda, b, 1, ldb, want, 4, ldc);
            kern.gemmTNPanels(m, n, k, a, 2, lda, panels, 3, got, 4, ldc);
            assertThat(got).as("%s m=%d n=%d k=%d", kern.name(), m, n, k).isEqualTo(want);
        }
    }

    static Stream<Arguments> panelShapes() {
        return Stream.of(
                Arguments.of(64, 512, 1120), Arguments.of(512, 64, 1120), Arguments.of(28, 64, 1120),
                Arguments.of(13, 70, 100), Arguments.of(8, 32, 64), Arguments.of(9, 33, 65),
                Arguments.of(130, 96, 70), Arguments.of(5, 7, 3), Arguments.of(16, 48, 63), Arguments.of(1, 1, 1),
                Arguments.of(520, 96, 4100), Arguments.of(48, 64, 4096), Arguments.of(136, 4128, 4097));
    }
}
