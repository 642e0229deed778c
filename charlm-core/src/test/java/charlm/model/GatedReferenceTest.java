package charlm.model;

import static org.assertj.core.api.Assertions.assertThat;

import charlm.io.Safetensors;
import charlm.kernels.Kernels;
import charlm.kernels.ReferenceKernels;
import charlm.kernels.Workers;
import charlm.testing.Fixtures;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The GRU and LSTM cells, stacked layers and the embedding (and the plain RNN stacked and embedded)
 * against PyTorch: loss, final state and the gradient of every parameter and of the initial state on
 * one random minibatch per variant, from reference/cells/*.safetensors (made by
 * make-cell-fixtures.py, which writes the book's equations in torch operations; no python here).
 * Each fixture runs on both kernel sets, with one thread and with two.
 *
 * <p>Torch ran in float64 on charlm's float32 inputs, so a difference is charlm's own float32 error.
 * Tolerances: the loss to 1e-5 relative; every tensor |charlm − torch| ≤ 1e-5 · max(1, max|torch|).
 * Every gradient here is below 1 in size, so that bound is absolute, and a lower layer's gradient of
 * 6e-4 (3-layer LSTM) would only be pinned to 2 %; each tensor is therefore also held to
 * 1e-4 of its own scale, |charlm − torch| ≤ 1e-4 · max|torch|: twenty times the worst seen (5e-6,
 * an LSTM's dW_hc on the Vector API kernels, whose tanh is the one approximation in the path).
 */
class GatedReferenceTest {
    static final String[] FIXTURES = {
        "rnn-2-onehot", "rnn-1-embedding",
        "gru-1-onehot", "gru-2-onehot", "gru-1-embedding", "gru-1-onehot-h72",
        "lstm-1-onehot", "lstm-2-onehot", "lstm-1-embedding", "lstm-3-embedding",
    };
    static final double TOL = 1e-5, OWN_SCALE_TOL = 1e-4;
    /** Ten times the absolute floor of TOL: below it a zero gradient would pass. */
    static final double NON_TRIVIAL = 1e-4;

    static Stream<Arguments> runs() {
        return Stream.of(FIXTURES).flatMap(f -> Stream.of("reference", "default")
                .flatMap(k -> Stream.of(1, 2).map(threads -> Arguments.of(f, k, threads))));
    }

    /** One fixture: its tensors by name and the model settings in its metadata. */
    record Fixture(String name, Map<String, Safetensors.Tensor> tensors, Map<String, String> meta) {
        static Fixture load(String name) {
            Safetensors.Contents c = Safetensors.read(Fixtures.file("cells/" + name + ".safetensors"));
            return new Fixture(name, c.tensors(), c.metadata());
        }

        Safetensors.Tensor tensor(String key) {
            Safetensors.Tensor t = tensors.get(key);
            assertThat(t).as("%s holds %s", name, key).isNotNull();
            return t;
        }

        int setting(String key) {
            return Integer.parseInt(meta.get(key));
        }

        /** X or Y, (B, T) token ids stored as floats. */
        int[] tokens(String key) {
            float[] f = tensor(key).values();
            int[] t = new int[f.length];
            for (int i = 0; i < f.length; i++) {
                t[i] = (int) f[i];
                assertThat((float) t[i]).as("%s %s[%d] is a token id", name, key, i).isEqualTo(f[i]).isBetween(0f, setting("vocab") - 1f);
            }
            return t;
        }
    }

    /** What charlm computed on a fixture: the mean loss, final state, and gradients by fixture name. */
    record Result(double loss, float[] stateT, Map<String, float[]> grads, Map<String, int[]> shapes) {
    }

    /**
     * The only place this test touches the model's API (config, forward, loss, backward), so a change
     * of that API is a change here: builds the fixture's model, sets its parameters by name, runs
     * forward from the fixture's initial state and backward with the initial state's gradient asked for.
     */
    static Result run(Fixture f, Kernels kernels, Workers workers) {
        int b = f.setting("batch"), t = f.setting("steps");
        ModelConfig config = new ModelConfig(f.setting("vocab"), f.setting("hiddens"), Activation.valueOf(f.meta().get("activation").toUpperCase(Locale.ROOT)),
                InputKind.valueOf(f.meta().get("input").toUpperCase(Locale.ROOT)), f.setting("embed"), Cells.get(f.meta().get("cell")), f.setting("layers"));
        RnnModel m = new RnnModel(config, kernels, workers);
        Map<String, int[]> shapes = new LinkedHashMap<>();
        for (Parameters.Tensor p : m.params.tensors()) {
            m.params.write(p, f.tensor(p.name()).values(), m.params.data);
            shapes.put(p.name(), p.shape());
        }
        float[] state = f.tensor("state0").values().clone();
        Tape tape = m.newTape(b, t);
        m.forward(tape, f.tokens("X"), state, true);
        double loss = m.loss(tape, f.tokens("Y"));
        m.params.zeroGrad();
        float[] dState0 = new float[state.length];
        m.backward(tape, null, dState0);
        Map<String, float[]> grads = new LinkedHashMap<>();
        for (Parameters.Tensor p : m.params.tensors()) grads.put("d_" + p.name(), m.params.read(p, m.params.grad));
        grads.put("d_state0", dState0);
        return new Result(loss, state, grads, shapes);
    }

    @ParameterizedTest(name = "{0}, {1} kernels, {2} thread(s)")
    @MethodSource("runs")
    void lossFinalStateAndEveryGradientMatchTorch(String name, String which, int threads) {
        Fixture f = Fixture.load(name);
        Result r;
        try (Workers workers = new Workers(threads)) {
            r = run(f, which.equals("reference") ? new ReferenceKernels() : Kernels.get(), workers);
        }
        // The fixture holds exactly charlm's parameters, in the chapter's shapes.
        for (Map.Entry<String, int[]> p : r.shapes().entrySet()) {
            assertThat(f.tensor(p.getKey()).shape()).as("%s shape of %s", name, p.getKey()).isEqualTo(p.getValue());
        }
        assertThat(f.tensors().keySet().stream().filter(k -> k.startsWith("d_")))
                .as("%s: gradients in the fixture", name).containsExactlyInAnyOrderElementsOf(r.grads().keySet());
        assertThat(f.tensor("state0").shape()).isEqualTo(f.tensor("stateT").shape());

        double want = Double.parseDouble(f.meta().get("loss"));
        assertThat(Math.abs(r.loss() - want)).as("%s loss %s, torch %s", name, r.loss(), want).isLessThanOrEqualTo(TOL * Math.abs(want));
        Worst worst = new Worst();
        worst.note("loss", Math.abs(r.loss() - want) / Math.abs(want), Math.abs(r.loss() - want) / Math.abs(want));
        assertClose(name, "stateT", r.stateT(), f.tensor("stateT").values(), worst);
        for (Map.Entry<String, float[]> g : r.grads().entrySet()) {
            float[] torch = f.tensor(g.getKey()).values();
            assertThat(maxAbs(torch)).as("%s %s is not trivially zero", name, g.getKey()).isGreaterThan(NON_TRIVIAL);
            assertClose(name, g.getKey(), g.getValue(), torch, worst);
        }
        System.out.printf("GatedReferenceTest %-18s %-9s x%d  worst %.1e (%s) of max(1, scale); %.1e (%s) of own scale%n",
                name, which, threads, worst.floored, worst.flooredAt, worst.own, worst.ownAt);
    }

    /** The largest error seen on one run, by both measures, and where. */
    private static final class Worst {
        double floored, own;
        String flooredAt = "", ownAt = "";

        void note(String what, double flooredErr, double ownErr) {
            if (flooredErr > floored) {
                floored = flooredErr;
                flooredAt = what;
            }
            if (ownErr > own) {
                own = ownErr;
                ownAt = what;
            }
        }
    }

    private static void assertClose(String fixture, String what, float[] got, float[] torch, Worst worst) {
        assertThat(got).as("%s %s size", fixture, what).hasSize(torch.length);
        double scale = maxAbs(torch);
        double err = 0;
        int at = 0;
        for (int i = 0; i < torch.length; i++) {
            double e = Math.abs((double) got[i] - torch[i]);
            if (e > err) {
                err = e;
                at = i;
            }
        }
        String where = String.format("%s %s: worst |charlm - torch| at [%d] (charlm %s, torch %s, tensor scale %.3g)",
                fixture, what, at, got[at], torch[at], scale);
        assertThat(err).as(where).isLessThanOrEqualTo(TOL * Math.max(1, scale));
        assertThat(err).as(where).isLessThanOrEqualTo(OWN_SCALE_TOL * scale);
        worst.note(what, err / Math.max(1, scale), err / scale);
    }

    private static double maxAbs(float[] v) {
        double m = 0;
        for (float x : v) m = Math.max(m, Math.abs(x));
        return m;
    }

    @Test
    void everyFixtureOnDiskIsChecked() throws IOException {
        Path dir = Fixtures.file("cells");
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString()))
                    .as("cells/ holds exactly the fixtures this test lists")
                    .containsExactlyInAnyOrder(Stream.of(FIXTURES).map(n -> n + ".safetensors").toArray(String[]::new));
        }
    }
}
