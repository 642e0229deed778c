package charlm.train;

import charlm.kernels.SoftmaxCrossEntropy;
import charlm.model.RnnModel;

/**
 * Perplexity of a model on a token stream, the definition shared with the reference's eval:
 * one stream from a zero state, predicting c_{t+1} from c_0..c_t for t = 0..N−2,
 * perplexity = exp(mean negative log-likelihood over the N−1 predictions).
 */
public final class Evaluator {
    private Evaluator() {
    }

    public static double perplexity(RnnModel model, int[] tokens) {
        if (tokens.length < 2) throw new IllegalArgumentException("need at least 2 tokens to evaluate, got " + tokens.length);
        RnnModel.Stepper s = model.stepper();
        int v = model.config.vocabSize();
        double nll = 0;
        for (int t = 0; t + 1 < tokens.length; t++) {
            float[] logits = s.step(tokens[t]);
            nll += SoftmaxCrossEntropy.nll(logits, 0, v, tokens[t + 1]);
        }
        return Math.exp(nll / (tokens.length - 1));
    }
}
