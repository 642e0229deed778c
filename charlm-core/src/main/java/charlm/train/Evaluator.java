package charlm.train;

import charlm.kernels.SoftmaxCrossEntropy;
import charlm.model.RnnModel;
import charlm.model.Tape;

/**
 * Perplexity of a model on a token stream, the definition shared with the reference's eval:
 * one stream from a zero state, predicting c_{t+1} from c_0..c_t for t = 0..N−2,
 * perplexity = exp(mean negative log-likelihood over the N−1 predictions).
 *
 * <p>The stream is run as one sequence (B = 1) in pieces of {@link #CHUNK} steps, the state carried
 * from piece to piece, so the recurrence sees exactly the stream a step-by-step reader sees. Each
 * piece's input projection and its logits are then one product over its rows instead of a
 * matrix-vector product per token, and a step costs one pass of the workers, not three. Every
 * logit is the same chain of operations either way (the kernels' results do not depend on how the
 * rows are split), and the log-likelihoods are summed in the same order: the perplexity is the
 * step-by-step one to the last bit.
 */
public final class Evaluator {
    /** Steps per piece: long enough for the output layer to run as a real product, short enough to keep the tape small. */
    static final int CHUNK = 128;

    private Evaluator() {
    }

    public static double perplexity(RnnModel model, int[] tokens) {
        if (tokens.length < 2) throw new IllegalArgumentException("need at least 2 tokens to evaluate, got " + tokens.length);
        int v = model.config.vocabSize();
        int predictions = tokens.length - 1;
        float[] state = model.beginState(1);
        Tape tape = model.newTape(1, Math.min(CHUNK, predictions));
        int[] x = new int[tape.numSteps];
        double nll = 0;
        for (int from = 0; from < predictions; from += CHUNK) {
            int len = Math.min(CHUNK, predictions - from);
            if (len != tape.numSteps) { // the last, shorter piece
                tape = model.newTape(1, len);
                x = new int[len];
            }
            System.arraycopy(tokens, from, x, 0, len);
            model.forward(tape, x, state, false);
            float[] logits = tape.logits();
            for (int t = 0; t < len; t++) nll += SoftmaxCrossEntropy.nll(logits, t * v, v, tokens[from + t + 1]);
        }
        return Math.exp(nll / predictions);
    }
}
