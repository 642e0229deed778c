package charlm.generate;

import charlm.CharlmException;
import charlm.data.Rng;
import charlm.data.Tokenizer;
import charlm.data.Vocab;
import charlm.model.RnnModel;
import java.util.function.Consumer;

/**
 * The chapter's predict_ch8: warm up on a prefix (feed it, keep the state, predict nothing), then
 * decode numPreds characters, each fed back as the next input. Greedy takes the argmax; sampling
 * (exercise 3) draws from q ∝ P^α = softmax(logits · α), optionally among the top k only.
 */
public final class Predictor {
    /** The chapter's probe: predict_ch8('time traveller', 50, ...). */
    public static final String PROBE_PREFIX = "time traveller";
    public static final int PROBE_LENGTH = 50;

    private final RnnModel model;
    private final Vocab vocab;
    private final Tokenizer tokenizer;

    public Predictor(RnnModel model, Vocab vocab, Tokenizer tokenizer) {
        if (vocab.size() != model.config.vocabSize()) {
            throw new IllegalArgumentException("vocabulary has " + vocab.size() + " tokens, the model " + model.config.vocabSize());
        }
        this.model = model;
        this.vocab = vocab;
        this.tokenizer = tokenizer;
    }

    /** Greedy decoding, as the chapter. */
    public String greedy(String prefix, int numPreds) {
        return generate(prefix, numPreds, Decoding.GREEDY);
    }

    /** The prefix (as the tokenizer sees it) followed by numPreds generated characters. */
    public String generate(String prefix, int numPreds, Decoding decoding) {
        return generate(prefix, numPreds, decoding, token -> { });
    }

    /**
     * As {@link #generate(String, int, Decoding)}, handing each generated token to onToken as soon as
     * it is chosen, so a caller can stream the text; the returned text is the same either way.
     */
    public String generate(String prefix, int numPreds, Decoding decoding, Consumer<String> onToken) {
        if (prefix == null || prefix.isEmpty()) throw new CharlmException("the prefix is empty; give at least one character with --prefix");
        if (numPreds < 0) throw new CharlmException("--num-preds must be 0 or more, got " + numPreds);
        int[] prompt = vocab.encode(tokenizer.normalizePrompt(prefix).codePoints().toArray());
        int[] out = new int[prompt.length + numPreds];
        System.arraycopy(prompt, 0, out, 0, prompt.length);
        RnnModel.Stepper stepper = model.stepper();
        // Warm-up: every prefix token but the last only updates the state.
        for (int i = 0; i + 1 < prompt.length; i++) stepper.step(prompt[i]);
        int n = prompt.length;
        for (int i = 0; i < numPreds; i++) {
            float[] logits = stepper.step(out[n - 1]);
            out[n] = decoding.choose(logits, model.config.vocabSize());
            onToken.accept(vocab.token(out[n++]));
        }
        return vocab.decode(out, 0, n);
    }

    /** How the next token is chosen from the logits. */
    public interface Decoding {
        int choose(float[] logits, int v);

        Decoding GREEDY = Predictor::argmax;

        /**
         * Samples from q ∝ P^α (α = 1/temperature), restricted to the topK most likely tokens when
         * topK > 0. α → ∞ approaches greedy; α = 1 samples the model's own distribution.
         */
        static Decoding sample(double alpha, int topK, Rng rng) {
            if (!(alpha > 0) || Double.isInfinite(alpha)) throw new CharlmException("--alpha must be a positive number, got " + alpha);
            if (topK < 0) throw new CharlmException("--top-k must be 0 (all) or positive, got " + topK);
            return new Sampler(alpha, topK, rng);
        }
    }

    static int argmax(float[] logits, int v) {
        int best = 0;
        for (int j = 1; j < v; j++) if (logits[j] > logits[best]) best = j;
        return best;
    }

    /** q_j ∝ exp(α (o_j − max o)), over the top-k logits when asked. */
    static final class Sampler implements Decoding {
        private final double alpha;
        private final int topK;
        private final Rng rng;
        private double[] q = new double[0];

        Sampler(double alpha, int topK, Rng rng) {
            this.alpha = alpha;
            this.topK = topK;
            this.rng = rng;
        }

        @Override
        public int choose(float[] logits, int v) {
            if (q.length < v) q = new double[v];
            float max = Float.NEGATIVE_INFINITY;
            for (int j = 0; j < v; j++) max = Math.max(max, logits[j]);
            float cutoff = Float.NEGATIVE_INFINITY;
            if (topK > 0 && topK < v) {
                float[] sorted = java.util.Arrays.copyOf(logits, v);
                java.util.Arrays.sort(sorted);
                cutoff = sorted[v - topK];
            }
            double sum = 0;
            for (int j = 0; j < v; j++) {
                q[j] = logits[j] >= cutoff ? Math.exp(alpha * (logits[j] - max)) : 0;
                sum += q[j];
            }
            double u = rng.nextDouble() * sum;
            int last = 0;
            for (int j = 0; j < v; j++) {
                if (q[j] == 0) continue;
                last = j;
                u -= q[j];
                if (u < 0) return j;
            }
            return last; // rounding left u just above zero: the last token with weight
        }
    }
}
