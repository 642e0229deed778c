package charlm.serve;

import charlm.data.Tokenizer;
import charlm.data.Vocab;
import charlm.model.RnnModel;
import charlm.train.EpochStats;
import charlm.train.Evaluation;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * `charlm train --serve`: the playground page while a run trains, as the chapter's notebook animates
 * its plot. The trainer hands it each epoch's results and the sample after the probe prefix; pages
 * watching get them at once, and the page's generate and score run on a snapshot of the parameters
 * taken at that epoch end, never on the parameters the trainer is changing. Serves on loopback only.
 *
 * <p>Use: {@code start} before the first epoch, {@link #epoch} from the training listener (on the
 * training thread, between epochs), {@link #close} when training ends or fails.
 */
public final class TrainingFeed implements AutoCloseable {
    private final RnnModel model;
    private final Curves curves;
    private final PlaygroundServer server;
    private int lastEpoch;

    private TrainingFeed(RnnModel model, Curves curves, PlaygroundServer server, int lastEpoch) {
        this.model = model;
        this.curves = curves;
        this.server = server;
        this.lastEpoch = lastEpoch;
    }

    /**
     * Starts serving on 127.0.0.1:port (0: any free port) with the model as it is now.
     *
     * @param before   epochs already trained (a resumed run's), shown as the start of the curves
     * @param scoresBefore the resumed run's held-out scores so far
     * @param settings the run's settings, for the page and /api/model
     */
    public static TrainingFeed start(int port, RnnModel model, Vocab vocab, Tokenizer tokenizer, List<EpochStats> before,
                                     List<Evaluation> scoresBefore, Map<String, Object> settings) {
        if (port < 0 || port > 65535) throw new charlm.CharlmException("--serve port must be 0 (any free port) to 65535, got " + port);
        int done = before.isEmpty() ? 0 : before.get(before.size() - 1).epoch();
        Limits limits = Limits.standard(Limits.DEFAULT_IN_FLIGHT);
        ModelPool pool = new ModelPool(model, vocab, tokenizer, limits.maxInFlight(), done);
        Curves curves = Curves.live(before, scoresBefore);
        Map<String, Object> about = new LinkedHashMap<>();
        about.put("source", "training");
        about.put("settings", settings);
        PlaygroundServer server = PlaygroundServer.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), pool, curves, limits, about);
        return new TrainingFeed(model, curves, server, done);
    }

    /** An epoch has ended: snapshot the parameters, then show the epoch and its sample. Call on the training thread. */
    public void epoch(EpochStats stats, String sample) {
        server.pool().publish(model, stats.epoch());
        curves.add(stats, sample);
        lastEpoch = stats.epoch();
    }

    /** The held-out text was scored (every --eval-every minibatches, and at each epoch's end): a point of its curve. */
    public void evaluation(Evaluation e) {
        curves.add(e);
    }

    public URI uri() {
        return server.uri();
    }

    /** Training is over: pages are told, then the server stops. */
    @Override
    public void close() {
        curves.finish("training ended after epoch " + lastEpoch + "; the page's model stays at that epoch's parameters");
        server.close();
    }
}
