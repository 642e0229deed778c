package charlm.train;

/**
 * Where a run is after a minibatch, for progress lines: the epoch (from 1), minibatches done of the
 * epoch's total, the optimizer step, this minibatch's mean loss and rate, the epoch's tokens/s so far,
 * and the wall seconds used and (a guess) left.
 */
public record Progress(int epoch, int batch, int batches, long step, double loss, double lr, double tokensPerSec,
                       double secondsUsed, double secondsLeft) {
}
