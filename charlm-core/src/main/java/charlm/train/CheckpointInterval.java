package charlm.train;

import charlm.settings.ValueType;
import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How often a run writes its checkpoint (--checkpoint-every): every N epochs (a plain number, as
 * config.json files have always held it), every N optimizer steps ("2000steps") or every stretch of
 * wall time ("10m", "90s"), so that a run on a text whose epoch takes hours leaves checkpoints without
 * an epoch ever ending. 0 = only at the end. Leaves out when a checkpoint can be taken (the trainer's
 * state inside an epoch needs detached state): {@link TrainingSettings#validate} refuses the rest.
 */
public record CheckpointInterval(Unit unit, long amount) {
    public enum Unit { EPOCHS, STEPS, MILLISECONDS }

    /** Only at the end. */
    public static final CheckpointInterval AT_END = new CheckpointInterval(Unit.EPOCHS, 0);

    private static final Pattern EPOCHS = Pattern.compile("\\d+");
    private static final Pattern STEPS = Pattern.compile("(\\d+) *steps?");

    /** Whether it ever writes before the end. */
    public boolean any() {
        return amount > 0;
    }

    /** Whether it counts something inside an epoch (steps or time), so the checkpoint may fall mid-epoch. */
    public boolean insideEpochs() {
        return any() && unit != Unit.EPOCHS;
    }

    public static CheckpointInterval parse(String text) {
        String t = text.strip().toLowerCase(Locale.ROOT);
        if (EPOCHS.matcher(t).matches()) return new CheckpointInterval(Unit.EPOCHS, Integer.parseInt(t));
        Matcher m = STEPS.matcher(t);
        if (m.matches()) return new CheckpointInterval(Unit.STEPS, Long.parseLong(m.group(1)));
        Duration d = ValueType.DURATION.parse(t);
        if (d == null) throw new IllegalArgumentException();
        return new CheckpointInterval(Unit.MILLISECONDS, d.toMillis());
    }

    public String format() {
        return switch (unit) {
            case EPOCHS -> Long.toString(amount);
            case STEPS -> amount + "steps";
            case MILLISECONDS -> ValueType.DURATION.format(Duration.ofMillis(amount));
        };
    }

    /** config.json: epochs as the whole number old files hold, the others as typed. */
    Object toJson() {
        return unit == Unit.EPOCHS ? (Object) (int) amount : format();
    }

    static CheckpointInterval fromJson(Object json) {
        if (json instanceof Number n) {
            if (n.doubleValue() != Math.rint(n.doubleValue()) || Math.abs(n.doubleValue()) > Integer.MAX_VALUE) throw new IllegalArgumentException();
            return new CheckpointInterval(Unit.EPOCHS, n.intValue());
        }
        if (json instanceof String s) return parse(s);
        throw new IllegalArgumentException();
    }

    static final ValueType<CheckpointInterval> TYPE = ValueType.of(CheckpointInterval::parse, CheckpointInterval::format,
            CheckpointInterval::toJson, CheckpointInterval::fromJson);

    /**
     * A clock of checkpoints for one run: told of each minibatch (the run's step and wall seconds, over
     * all its resumed parts) and each epoch's end, it says when one is due.
     */
    public final class Clock {
        private double nextSeconds = Double.NaN;

        /** Whether a checkpoint is due after the minibatch that made step the run's step, secondsUsed into it. */
        public boolean dueAfterMinibatch(long step, double secondsUsed) {
            if (!any()) return false;
            return switch (unit) {
                case EPOCHS -> false;
                case STEPS -> step % amount == 0;
                case MILLISECONDS -> {
                    double every = amount / 1000.0;
                    // The first minibatch of this process sets the clock: a resumed run goes on from the time it had used.
                    if (Double.isNaN(nextSeconds)) nextSeconds = (Math.floor(secondsUsed / every) + 1) * every;
                    if (secondsUsed < nextSeconds) yield false;
                    nextSeconds = (Math.floor(secondsUsed / every) + 1) * every;
                    yield true;
                }
            };
        }

        /** Whether a checkpoint is due at the end of epoch (the last epoch's end is the run's end, written anyway). */
        public boolean dueAtEpoch(int epoch, int epochs) {
            return unit == Unit.EPOCHS && any() && epoch % amount == 0 && epoch < epochs;
        }
    }

    public Clock clock() {
        return new Clock();
    }
}
