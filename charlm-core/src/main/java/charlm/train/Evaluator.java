package charlm.train;

import charlm.data.Rng;
import charlm.data.TokenSequence;
import charlm.kernels.SoftmaxCrossEntropy;
import charlm.kernels.Workers;
import charlm.model.RnnModel;
import charlm.model.Tape;
import java.util.Arrays;
import java.util.Locale;

/**
 * Perplexity of a model on a token stream, the definition shared with the reference's eval:
 * one stream from a zero state, predicting c_{t+1} from c_0..c_t for t = 0..N−2,
 * perplexity = exp(mean negative log-likelihood over the N−1 predictions).
 *
 * <p>A stream is run in pieces of {@link #CHUNK} steps, the state carried from piece to piece, so the
 * recurrence sees exactly the stream a step-by-step reader sees. Each piece's input projection and its
 * logits are then one product over its rows instead of a matrix-vector product per token. Every logit is
 * the same chain of operations either way, and the log-likelihoods are summed in the same order: the
 * perplexity of one stream is the step-by-step one to the last bit.
 *
 * <p>A long held-out text is scored as several streams at once ({@link Plan}): cut into up to
 * {@link #STREAMS} contiguous pieces, each from a zero state, run side by side as the rows of one batch
 * (B pieces cost about what one costs while the products are small), or, with --eval-tokens N, a fixed
 * sample of windows of it. Every token but the text's first is still predicted once; each piece's first
 * token is predicted by the piece before it, so only the states at the cuts differ from one stream.
 * Each piece scores exactly as it would alone (B = 1), to rounding; the sums are taken piece by piece in
 * order, so the result does not depend on how many rows run at once or on the thread count.
 */
public final class Evaluator {
    /** Steps per piece: long enough for the output layer to run as a real product, short enough to keep the tape small. */
    static final int CHUNK = 128;
    /** The most pieces scored side by side. */
    public static final int STREAMS = 64;
    /**
     * The shortest piece a whole text is cut into, in predictions: a text shorter than two of them is one
     * stream, as before (the book's held-out tenth is scored exactly as it always was), since the cuts cost
     * the pieces' first tokens their context.
     */
    public static final int MIN_PIECE = 1024;
    /** Predictions per window of a sample (--eval-tokens). */
    public static final int WINDOW = 1024;
    /**
     * The most rows (T·B) of one forward pass: enough for the output layer's product, few enough that the
     * tape of 64 LSTM streams stays tens of MB, not hundreds (one stream still runs {@link #CHUNK} steps).
     */
    static final int MAX_ROWS = 1024;
    /** The most logits (T·B·V floats) one forward pass keeps: a 65,536-character vocabulary gets shorter steps, not a huge tape. */
    static final long MAX_LOGITS = 1L << 24;

    private Evaluator() {
    }

    /** Perplexity of the whole array as one stream (B = 1): the reference's definition. */
    public static double perplexity(RnnModel model, int[] tokens) {
        if (tokens.length < 2) throw new IllegalArgumentException("need at least 2 tokens to evaluate, got " + tokens.length);
        return perplexity(model, TokenSequence.of(tokens), Plan.whole(tokens.length, 1));
    }

    /**
     * What is scored of a held-out text: pieces that each start from a zero state at token from[i] and
     * predict the next predictions[i] tokens, scored streams at a time, in this order.
     */
    public record Plan(long[] from, long[] predictions, int streams, String description) {
        /** Predictions in all pieces. */
        public long total() {
            long n = 0;
            for (long p : predictions) n += p;
            return n;
        }

        /** The whole text of length tokens, cut into `streams` contiguous pieces as equal as can be. */
        public static Plan whole(long length, int streams) {
            if (length < 2) throw new IllegalArgumentException("need at least 2 tokens to evaluate, got " + length);
            long p = length - 1;
            int b = (int) Math.max(1, Math.min(streams, p));
            long[] from = new long[b], predictions = new long[b];
            for (int i = 0; i < b; i++) from[i] = i * p / b; // i·p stays far below 2^63 for any text a disk holds
            for (int i = 0; i < b; i++) predictions[i] = (i + 1 < b ? from[i + 1] : p) - from[i];
            return new Plan(from, predictions, b, b == 1 ? String.format(Locale.ROOT, "all %d predictions, one stream", p)
                    : String.format(Locale.ROOT, "all %d predictions, %d contiguous pieces at once", p, b));
        }

        /**
         * A first piece of this plan for timing: its first `pieces` pieces (a scorer's B, so that no row of the
         * probe is padding), each cut to about total/pieces predictions but at least one forward pass of
         * {@link #CHUNK} steps, so that the time per prediction is that of the real scoring's long forward
         * passes, not of a few short ones.
         */
        Plan probe(long total, int pieces) {
            int b = Math.min(pieces, from.length);
            long each = Math.max(CHUNK, total / b);
            long[] f = Arrays.copyOf(from, b), n = new long[b];
            for (int i = 0; i < b; i++) n[i] = Math.min(each, predictions[i]);
            return new Plan(f, n, b, "probe");
        }
    }

    /**
     * The scoring of a held-out text of length tokens: all of it when maxPredictions is 0 or at least
     * the text's predictions (cut into contiguous pieces of at least {@link #MIN_PIECE}, at most
     * {@link #STREAMS} of them); else ceil(maxPredictions / {@link #WINDOW}) windows of {@link #WINDOW}
     * predictions at non-overlapping places drawn from the seed, the same at every scoring.
     */
    public static Plan plan(long length, long maxPredictions, long seed) {
        long p = length - 1;
        long windows = maxPredictions <= 0 ? 0 : (maxPredictions + WINDOW - 1) / WINDOW;
        long slots = p / WINDOW;
        if (maxPredictions <= 0 || maxPredictions >= p || windows >= slots) {
            return Plan.whole(length, (int) Math.max(1, Math.min(STREAMS, p / MIN_PIECE)));
        }
        // A generator of its own, so that sampling the held-out text draws nothing from the run's.
        Rng rng = new Rng(seed ^ 0x5ca1ab1e_d15ea5eL);
        long[] chosen = new long[(int) windows];
        if (slots <= Integer.MAX_VALUE - 8 && slots <= 64 * windows) {
            int[] order = new int[(int) slots];
            for (int s = 0; s < order.length; s++) order[s] = s;
            rng.shuffle(order, order.length);
            for (int i = 0; i < chosen.length; i++) chosen[i] = order[i];
        } else { // few windows in many slots: draw until distinct, without a slot table
            java.util.HashSet<Long> seen = new java.util.HashSet<>();
            for (int i = 0; i < chosen.length; ) {
                long s = Math.floorMod(rng.nextLong(), slots);
                if (seen.add(s)) chosen[i++] = s;
            }
        }
        Arrays.sort(chosen);
        long[] from = new long[chosen.length], predictions = new long[chosen.length];
        for (int i = 0; i < chosen.length; i++) {
            from[i] = chosen[i] * WINDOW;
            predictions[i] = WINDOW;
        }
        return new Plan(from, predictions, (int) Math.min(STREAMS, windows), String.format(Locale.ROOT,
                "a sample of %d predictions of %d: %d windows of %d from seed %d", windows * WINDOW, p, windows, WINDOW, seed));
    }

    /** Perplexity over a plan's pieces of text: exp of the mean negative log-likelihood of all their predictions. */
    public static double perplexity(RnnModel model, TokenSequence text, Plan plan) {
        return new Scorer(model, plan).perplexity(text, plan);
    }

    /**
     * What scoring needs, allocated once and reused at every scoring of a run (a tape of an LSTM-512 at
     * {@link #MAX_ROWS} rows is 34 MB: made anew at each scoring, it outlived the young generation and
     * piled up in the old one until a full collection, most of the resident memory of a big-text run).
     *
     * <p>Every forward pass has the same shape: B rows, T steps. A group of fewer pieces is padded with
     * rows that read {@code <unk>} and are not scored, and the last, shorter forward pass of a group with
     * steps that are not scored; a row's logits at a step depend only on its own earlier steps, and the
     * products give each row the same bits whatever the other rows hold, so padding changes no score.
     * The negative log-likelihoods are summed on the model's workers, each piece by one part, in step
     * order, so the result does not depend on the thread count.
     */
    public static final class Scorer {
        private final RnnModel model;
        private final int rows;      // B: pieces side by side
        private final int steps;     // T of every forward pass
        private final int vocab;     // V
        private final Tape tape;
        private final float[] state;
        private final int[] x;       // (B, T)
        private final int[] y;       // (B, T); -1 where nothing is scored
        private final int[] scored;  // (B): steps of this forward pass that row b scores
        private final double[] pieceNll; // (B): the current group's sums
        private final Workers.Task nllTask = Workers.named("held-out scoring", this::addNll);

        /** Sized for plan: its groups of pieces balanced (98 windows at 64 streams run as 2 x 49, not 64 + 34). */
        public Scorer(RnnModel model, Plan plan) {
            this.model = model;
            this.vocab = model.config.vocabSize();
            int n = plan.from().length;
            int groups = (n + plan.streams() - 1) / plan.streams();
            this.rows = (n + groups - 1) / groups;
            long longest = 1;
            for (long p : plan.predictions()) longest = Math.max(longest, p);
            this.steps = (int) Math.max(1, Math.min(Math.min(Math.min(CHUNK, longest), MAX_ROWS / rows), MAX_LOGITS / ((long) rows * vocab)));
            this.tape = model.newTape(rows, steps);
            this.state = model.beginState(rows);
            this.x = new int[rows * steps];
            this.y = new int[rows * steps];
            this.scored = new int[rows];
            this.pieceNll = new double[rows];
        }

        /** B: the pieces each forward pass runs side by side. */
        int rows() {
            return rows;
        }

        /** Perplexity over plan's pieces of text (any plan: its groups run this scorer's B rows at a time). */
        public double perplexity(TokenSequence text, Plan plan) {
            double nll = 0;
            int n = plan.from().length;
            for (int g = 0; g < n; g += rows) {
                int b = Math.min(rows, n - g);
                long longest = 0;
                for (int i = 0; i < b; i++) longest = Math.max(longest, plan.predictions()[g + i]);
                Arrays.fill(state, 0);
                Arrays.fill(pieceNll, 0);
                for (long at = 0; at < longest; at += steps) {
                    for (int i = 0; i < rows; i++) {
                        // A piece that has ended (or a padding row) reads <unk> until the longest one ends; its logits are not scored.
                        int m = i < b ? (int) Math.max(0, Math.min(steps, plan.predictions()[g + i] - at)) : 0;
                        long from = i < b ? plan.from()[g + i] + at : 0;
                        if (m > 0) {
                            text.copy(from, x, i * steps, m);
                            text.copy(from + 1, y, i * steps, m);
                        }
                        Arrays.fill(x, i * steps + m, (i + 1) * steps, 0);
                        Arrays.fill(y, i * steps + m, (i + 1) * steps, -1);
                        scored[i] = m;
                    }
                    model.forward(tape, x, state, false);
                    model.workers().run(nllTask);
                }
                for (int i = 0; i < b; i++) nll += pieceNll[i];
            }
            return Math.exp(nll / plan.total());
        }

        /** Adds this part's pieces' negative log-likelihoods of the last forward pass, each piece in step order. */
        private void addNll(int part, int parts) {
            float[] logits = tape.logits(); // (T, B, V)
            int i0 = Workers.start(part, parts, rows, 1), i1 = Workers.end(part, parts, rows, 1);
            for (int i = i0; i < i1; i++) {
                for (int t = 0; t < scored[i]; t++) pieceNll[i] += SoftmaxCrossEntropy.nll(logits, (t * rows + i) * vocab, vocab, y[i * steps + t]);
            }
        }
    }
}
