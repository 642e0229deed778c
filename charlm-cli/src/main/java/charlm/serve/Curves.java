package charlm.serve;

import charlm.io.Json;
import charlm.train.EpochStats;
import charlm.train.Evaluation;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A run's curves for the page: its epochs (read from metrics.csv, or added live while training),
 * each with the sample after the probe prefix when there is one, and whether the run is over.
 * Pages follow it through {@link #watch()}: every event so far, then each new one as it happens.
 * Deliberately left out: persistence (the run's own metrics.csv is the record).
 */
final class Curves {
    /** One server-sent event: its name and JSON data. */
    record Event(String name, String json) {
    }

    /** Events a slow page may fall behind by before it is dropped (it reconnects and replays). */
    private static final int WATCHER_BACKLOG = 4096;

    private final List<Event> events = new ArrayList<>();
    private final List<Map<String, Object>> epochs = new ArrayList<>();
    private final List<Map<String, Object>> evaluations = new ArrayList<>();
    private final List<Watcher> watchers = new ArrayList<>();
    private boolean live;
    private String endMessage;

    private Curves(boolean live) {
        this.live = live;
    }

    /** Curves that grow while a run trains; {@link #finish} ends them. */
    static Curves live(List<EpochStats> before, List<Evaluation> scoresBefore) {
        Curves c = new Curves(true);
        for (EpochStats s : before) c.add(s, null);
        for (Evaluation e : scoresBefore) c.add(e);
        return c;
    }

    /** A finished run's curves (possibly none), with a line saying what they are. */
    static Curves done(List<EpochStats> history, List<Evaluation> scores, String message) {
        Curves c = new Curves(false);
        for (EpochStats s : history) c.add(s, null);
        for (Evaluation e : scores) c.add(e);
        c.finish(message);
        return c;
    }

    /** A scoring of the held-out text (at an epoch's end, or every --eval-every minibatches): a point of the held-out curve. */
    synchronized void add(Evaluation s) {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("step", s.step());
        e.put("epoch", s.epochs());
        e.put("val_perplexity", s.valPerplexity());
        e.put("train_perplexity", Double.isFinite(s.trainLoss()) ? Math.exp(s.trainLoss()) : null);
        evaluations.add(e);
        publish(new Event("evaluation", Json.write(e)));
    }

    synchronized void add(EpochStats s, String sample) {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("epoch", s.epoch());
        e.put("perplexity", s.perplexity());
        e.put("val_perplexity", s.hasValidation() ? s.valPerplexity() : null);
        e.put("tokens_per_sec", s.tokensPerSec());
        e.put("sample", sample);
        epochs.add(e);
        publish(new Event("epoch", Json.write(e)));
    }

    /** The run is over (or there is none): pages get this line and stop following. */
    synchronized void finish(String message) {
        if (endMessage != null) return;
        endMessage = message;
        live = false;
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("message", message);
        e.put("epochs", epochs.size());
        publish(new Event("end", Json.write(e)));
    }

    synchronized boolean isLive() {
        return live;
    }

    /** Everything as one JSON object: {"live", "epochs": [...], "message"}. */
    synchronized Map<String, Object> json() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("live", live);
        m.put("epochs", new ArrayList<>(epochs));
        m.put("evaluations", new ArrayList<>(evaluations));
        m.put("message", endMessage);
        return m;
    }

    private void publish(Event e) {
        events.add(e);
        watchers.removeIf(w -> !w.offer(e));
    }

    /** A page following the curves: the events so far are already queued. */
    synchronized Watcher watch() {
        Watcher w = new Watcher();
        for (Event e : events) w.offer(e);
        if (endMessage == null) watchers.add(w);
        return w;
    }

    synchronized void unwatch(Watcher w) {
        watchers.remove(w);
    }

    /** Wakes every page with a last event, for a server that is stopping. */
    synchronized void closeWatchers() {
        for (Watcher w : watchers) w.offer(new Event("end", Json.write(Map.of("message", "the server stopped"))));
        watchers.clear();
    }

    /** The events one page has yet to be sent. */
    static final class Watcher {
        private final BlockingQueue<Event> queue = new ArrayBlockingQueue<>(WATCHER_BACKLOG);

        private boolean offer(Event e) {
            return queue.offer(e);
        }

        /** The next event, or null after the timeout (time for a keep-alive). */
        Event next(long millis) throws InterruptedException {
            return queue.poll(millis, TimeUnit.MILLISECONDS);
        }
    }
}
