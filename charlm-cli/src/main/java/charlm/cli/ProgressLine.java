package charlm.cli;

import charlm.train.Progress;
import java.io.PrintWriter;
import java.util.Locale;

/**
 * Progress inside an epoch (a Tiny Shakespeare epoch of an LSTM takes a minute): on a terminal one
 * line rewritten in place, at most a few times a second; in a log or a pipe a plain line every
 * {@link #PLAIN_EVERY_SECONDS} seconds. Other lines go through {@link #println} so they never mix.
 */
final class ProgressLine {
    static final double PLAIN_EVERY_SECONDS = 10;
    private static final double TERMINAL_EVERY_SECONDS = 0.25;

    private final PrintWriter out;
    private final boolean terminal;
    private final long tokensPerStep;
    private double lastShown = Double.NEGATIVE_INFINITY;
    private boolean showing;

    /**
     * terminal: whether out is a terminal (the launcher says so with -Dcharlm.terminal=true);
     * tokensPerStep: B x T, the tokens an optimizer step reads.
     */
    ProgressLine(PrintWriter out, boolean terminal, long tokensPerStep) {
        this.out = out;
        this.terminal = terminal;
        this.tokensPerStep = tokensPerStep;
    }

    void update(Progress p) {
        double every = terminal ? TERMINAL_EVERY_SECONDS : PLAIN_EVERY_SECONDS;
        if (Double.isInfinite(lastShown) && !terminal) lastShown = p.secondsUsed(); // a log's first line after `every`, not at once
        if (p.batch() == p.batches() || p.secondsUsed() - lastShown < every) return;
        lastShown = p.secondsUsed();
        // Not "epoch N: ...": that is the line of a finished epoch, which scripts read. The step and the tokens
        // read so far say how far a run has come on a text whose epoch takes hours.
        String text = String.format(Locale.ROOT, "  minibatch %d/%d of epoch %d, step %d, %s tokens, %.0f tokens/s, loss %.3f, lr %.3g, %s left",
                p.batch(), p.batches(), p.epoch(), p.step(), count(p.step() * tokensPerStep), p.tokensPerSec(), p.loss(), p.lr(),
                duration(p.secondsLeft()));
        if (terminal) {
            out.print("\r" + text + "\u001b[K");
            showing = true;
        } else {
            out.println(text);
        }
        out.flush();
    }

    /** Prints a line of its own, first clearing a progress line on a terminal. */
    void println(String line) {
        clear();
        out.println(line);
    }

    void clear() {
        if (showing) {
            out.print("\r\u001b[K");
            showing = false;
        }
    }

    /** A count in three significant digits: 950, 12.3k, 4.56M, 1.18G. */
    static String count(long n) {
        if (n < 1000) return Long.toString(n);
        String[] units = {"k", "M", "G", "T"};
        double v = n;
        int u = -1;
        while (v >= 999.5 && u < units.length - 1) {
            v /= 1000;
            u++;
        }
        return String.format(Locale.ROOT, v >= 99.95 ? "%.0f%s" : v >= 9.995 ? "%.1f%s" : "%.2f%s", v, units[u]);
    }

    static String duration(double seconds) {
        if (Double.isInfinite(seconds)) return "?";
        long s = Math.round(seconds);
        return s >= 3600 ? String.format(Locale.ROOT, "%dh%02dm", s / 3600, s % 3600 / 60)
                : s >= 60 ? String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60) : s + "s";
    }
}
