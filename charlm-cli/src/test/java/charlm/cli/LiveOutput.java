package charlm.cli;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.Writer;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A command's stdout that a test can read while the command still runs (serve, train --serve), and,
 * for stepping a run, a gate: a line matching it is held back, and the command with it, until released.
 */
final class LiveOutput extends Writer {
    private final StringBuilder text = new StringBuilder();
    private final StringBuilder line = new StringBuilder();
    private Predicate<String> gate = l -> false;
    private String held;
    private boolean released;

    /** The command's stdout. */
    PrintWriter writer() {
        return new PrintWriter(this, true);
    }

    /** Holds every line that matches until {@link #release()}: the command waits at that line. */
    synchronized void holdAt(Predicate<String> lines) {
        gate = lines;
    }

    @Override
    public void write(char[] buf, int off, int len) {
        for (int i = off; i < off + len; i++) {
            char c = buf[i];
            if (c != '\n') {
                synchronized (this) {
                    line.append(c);
                }
                continue;
            }
            String l;
            synchronized (this) {
                l = line.toString();
                line.setLength(0);
                if (gate.test(l)) {
                    held = l;
                    released = false;
                    notifyAll();
                    while (!released) {
                        try {
                            wait();
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                            break;
                        }
                    }
                }
                text.append(l).append('\n');
                notifyAll();
            }
        }
    }

    /** Waits until the command is held at a line, and returns it. */
    synchronized String awaitHeld(Duration timeout) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        while (held == null) {
            long left = end - System.nanoTime();
            if (left <= 0) throw new AssertionError("the command reached no held line in " + timeout + "; output so far:\n" + text);
            wait(Math.max(1, left / 1_000_000));
        }
        return held;
    }

    synchronized void release() {
        released = true;
        held = null;
        notifyAll();
    }

    /** The first group of pattern in a finished line, waiting for it up to timeout. */
    synchronized String await(Pattern pattern, Duration timeout) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        while (true) {
            Matcher m = pattern.matcher(text);
            if (m.find()) return m.groupCount() > 0 ? m.group(1) : m.group();
            long left = end - System.nanoTime();
            if (left <= 0) throw new AssertionError("no line matching " + pattern + " in " + timeout + "; output so far:\n" + text);
            wait(Math.max(1, left / 1_000_000));
        }
    }

    synchronized String text() {
        return text.toString();
    }

    @Override
    public void flush() {
    }

    @Override
    public void close() {
    }

    /** A command running on its own thread. */
    record Running(Thread thread, CompletableFuture<Integer> exit, LiveOutput out, StringWriter err) {
        /** The exit code, waiting up to timeout. */
        int exitCode(Duration timeout) throws Exception {
            return exit.get(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
        }
    }

    /** Runs charlm with args on its own thread, stdout to a LiveOutput; interrupting the thread stops serve. */
    static Running start(String... args) {
        LiveOutput out = new LiveOutput();
        return start(out, args);
    }

    static Running start(LiveOutput out, String... args) {
        StringWriter err = new StringWriter();
        CompletableFuture<Integer> exit = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            try {
                exit.complete(Main.run(args, out.writer(), new PrintWriter(err, true)));
            } catch (Throwable e) {
                exit.completeExceptionally(e);
            }
        }, "charlm " + args[0]);
        t.setDaemon(true);
        t.start();
        return new Running(t, exit, out, err);
    }
}
