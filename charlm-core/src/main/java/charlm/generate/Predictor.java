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

    /** The prefix (as the model reads it) followed by numPreds generated characters. */
    public String generate(String prefix, int numPreds, Decoding decoding) {
        StringBuilder b = new StringBuilder();
        generate(prefix, numPreds, decoding, b::append, () -> false);
        return b.toString();
    }

    /**
     * As {@link #generate(String, int, Decoding)}, handing each generated token (not the prefix's) to
     * onToken as soon as it is chosen, so a caller can stream the text; the returned text is the same.
     */
    public String generate(String prefix, int numPreds, Decoding decoding, Consumer<String> onToken) {
        int promptTokens = prompt(prefix).codePointCount(0, prompt(prefix).length());
        StringBuilder b = new StringBuilder();
        int[] seen = {0};
        generate(prefix, numPreds, decoding, token -> {
            b.append(token);
            if (seen[0]++ >= promptTokens) onToken.accept(token);
        }, () -> false);
        return b.toString();
    }

    /**
     * The same, streamed: the prefix as the model reads it, then each generated character, go to
     * out as they come, so no memory grows with numPreds. Stops early when stop says so (checked
     * before each character), for example when the reader of the output has gone.
     */
    public void generate(String prefix, long numPreds, Decoding decoding, java.util.function.Consumer<String> out,
                         java.util.function.BooleanSupplier stop) {
        if (prefix == null || prefix.isEmpty()) throw new CharlmException("the prefix is empty; give at least one character with --prefix");
        if (numPreds < 0) throw new CharlmException("--num-preds must be 0 or more, got " + numPreds);
        int[] prompt = vocab.encode(prompt(prefix).codePoints().toArray());
        for (int t : prompt) out.accept(vocab.token(t));
        RnnModel.Stepper stepper = model.stepper();
        // Warm-up: every prefix token but the last only updates the state.
        for (int i = 0; i + 1 < prompt.length; i++) stepper.step(prompt[i]);
        int last = prompt[prompt.length - 1];
        for (long i = 0; i < numPreds && !stop.getAsBoolean(); i++) {
            last = decoding.choose(stepper.step(last), model.config.vocabSize());
            out.accept(vocab.token(last));
        }
    }

    /**
     * The prefix as the model reads it: cleaned as its training text was (for the book's letters
     * tokenizer "Time, Traveller!" is "time traveller"). A prefix the cleaning leaves empty is
     * read as typed, each character {@code <unk>}, so that a probe prefix never stops training;
     * the generate command refuses it instead.
     */
    public String prompt(String prefix) {
        String read = tokenizer.normalizePrompt(prefix);
        return read.isEmpty() ? prefix : read;
    }

    /**
     * The characters of the prefix, as the model reads it, that are not in its vocabulary: they
     * would be fed as {@code <unk>}, a token no training text contained. In order of first appearance.
     */
    public java.util.List<String> unseen(String prefix) {
        java.util.Set<String> out = new java.util.LinkedHashSet<>();
        prompt(prefix).codePoints().filter(cp -> vocab.index(cp) == 0).forEach(cp -> out.add(new String(Character.toChars(cp))));
        return new java.util.ArrayList<>(out);
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
            return new SampleDecoding(alpha, topK, rng);
        }
    }

    static int argmax(float[] logits, int v) {
        int best = 0;
        for (int j = 1; j < v; j++) if (logits[j] > logits[best]) best = j;
        return best;
    }

    /**
     * Decoding by sampling (the chapter's exercise 3): q_j ∝ exp(α (o_j − max o)), over the top-k
     * logits when asked. Not to be confused with charlm.data.Sampler, which cuts minibatches.
     */
    static final class SampleDecoding implements Decoding {
        private final double alpha;
        private final int topK;
        private final Rng rng;
        private double[] q = new double[0];
        private float[] sorted = new float[0];

        SampleDecoding(double alpha, int topK, Rng rng) {
            this.alpha = alpha;
            this.topK = topK;
            this.rng = rng;
        }

        @Override
        public int choose(float[] logits, int v) {
            if (q.length < v) {
                q = new double[v];
                sorted = new float[v];
            }
            float max = Float.NEGATIVE_INFINITY;
            for (int j = 0; j < v; j++) max = Math.max(max, logits[j]);
            float cutoff = Float.NEGATIVE_INFINITY;
            if (topK > 0 && topK < v) {
                System.arraycopy(logits, 0, sorted, 0, v);
                java.util.Arrays.sort(sorted, 0, v);
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
