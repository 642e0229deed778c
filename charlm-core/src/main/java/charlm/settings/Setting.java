package charlm.settings;

import charlm.CharlmException;
import java.util.Objects;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * One training setting, declared once: its name (the option {@code --name} and the JSON key
 * {@code name} with '_' for '-'), what it belongs to, its type, default, check, help and where it
 * applies (when that depends on the other settings, as --embed-dim on --input). Every place
 * that needs the setting (the commands' options, sweep lists, --resume, config.json, checkpoint
 * metadata) reads this declaration. Leaves out how the value is used: that is the code's job.
 */
public final class Setting<T> {

    /** What a setting belongs to: it decides where it is stored and whether a resumed run may change it. */
    public enum Scope {
        /** Which text, and how it is cut into tokens and held out. */
        DATA,
        /** The model's shape: needed again to load and use it. */
        MODEL,
        /** How the parameters are learned: changing it changes the numbers. */
        TRAINING,
        /** How long and how the run goes (epochs, threads, checkpoints): a resumed run may change these. */
        RUN
    }

    private final String name;
    private final Scope scope;
    private final ValueType<T> type;
    private final T defaultValue;
    private final String label;
    private final String help;
    private final Predicate<T> check;
    private final String expected;
    private final Predicate<Settings> applies;
    private final Function<Settings, String> refusal;

    private Setting(String name, Scope scope, ValueType<T> type, T defaultValue, String label, String help, Predicate<T> check,
                    String expected, Predicate<Settings> applies, Function<Settings, String> refusal) {
        this.name = name;
        this.scope = scope;
        this.type = type;
        this.defaultValue = defaultValue;
        this.label = label;
        this.help = help;
        this.check = check;
        this.expected = expected;
        this.applies = applies;
        this.refusal = refusal;
        if (defaultValue != null && !check.test(defaultValue)) throw new IllegalStateException(name + ": default fails its own check");
    }

    /** Starts a declaration; finish it with {@link Builder#help}. */
    public static <T> Builder<T> of(String name, Scope scope, ValueType<T> type, T defaultValue) {
        return new Builder<>(name, scope, type, defaultValue);
    }

    public String name() {
        return name;
    }

    /** The command-line option, e.g. {@code --batch-size}. */
    public String option() {
        return "--" + name;
    }

    /** The JSON key, e.g. {@code batch_size}. */
    public String key() {
        return name.replace('-', '_');
    }

    public Scope scope() {
        return scope;
    }

    public ValueType<T> type() {
        return type;
    }

    public T defaultValue() {
        return defaultValue;
    }

    /** The placeholder shown in help, e.g. "B", or the choices "rnn|gru|lstm" (read now: a registry may have grown). */
    public String label() {
        return label != null ? label : type.choices().isEmpty() ? name.toUpperCase(java.util.Locale.ROOT).replace('-', '_')
                : String.join("|", type.choices());
    }

    public String help() {
        return help;
    }

    /** What a valid value looks like, in words ("a positive whole number", "one of tanh, relu"). */
    public String expected() {
        if (expected != null) return expected;
        return type.choices().isEmpty() ? "a value of the right kind" : "one of " + String.join(", ", type.choices());
    }

    /** Reads a value as typed by a person; a bad one is one clear CharlmException naming the option. */
    public T parse(String text) {
        T value;
        try {
            value = type.parse(text);
        } catch (RuntimeException e) {
            throw invalid("'" + text + "'");
        }
        return checked(value, "'" + text + "'");
    }

    /** Reads a value as JSON wrote it (config.json, checkpoint metadata). */
    public T fromJson(Object json, String where) {
        T value;
        try {
            value = type.fromJson(json);
        } catch (RuntimeException e) {
            throw badEntry(where);
        }
        if (value != null && !check.test(value)) throw badEntry(where);
        return value;
    }

    /** The value itself is left out of the message: it comes from a file and may be anything, line breaks included. */
    private CharlmException badEntry(String where) {
        return new CharlmException(where + " has a bad \"" + key() + "\" entry (expected " + expected() + ")");
    }

    /** A value set from code: the same check as on the command line. */
    public T checked(T value) {
        return checked(value, value == null ? "none" : "'" + type.format(value) + "'");
    }

    private T checked(T value, String shown) {
        if (value == null ? defaultValue != null : !check.test(value)) throw invalid(shown);
        return value;
    }

    private CharlmException invalid(String shown) {
        return new CharlmException(option() + " must be " + expected() + ", got " + shown);
    }

    /**
     * Whether this setting changes anything under the other values of s, as its declaration says
     * (--embed-dim only with an embedding input). A {@link Registry} of the choices of another setting
     * may narrow it further (--beta1 only under an optimizer that reads it); TrainingSettings.applies asks both.
     */
    public boolean appliesTo(Settings s) {
        return applies.test(s);
    }

    /**
     * Why s cannot stand, or null: when the declaration says so, a value other than the default where the
     * setting does not apply is a mistake to refuse (--activation relu with a GRU), not one to ignore.
     */
    public String refusal(Settings s) {
        if (refusal == null || applies.test(s)) return null;
        // Compared as written, so that -0 is the default 0 as it is when the value is used.
        return type.format(s.get(this)).equals(type.format(defaultValue)) ? null : refusal.apply(s);
    }

    public Object toJson(T value) {
        return type.toJson(value);
    }

    public String format(T value) {
        return type.format(value);
    }

    @Override
    public String toString() {
        return option();
    }

    /** A declaration being written: the check and its words, then the help text. */
    public static final class Builder<T> {
        private final String name;
        private final Scope scope;
        private final ValueType<T> type;
        private final T defaultValue;
        private String label;
        private Predicate<T> check = v -> true;
        private String expected;
        private Predicate<Settings> applies = s -> true;
        private Function<Settings, String> refusal;

        private Builder(String name, Scope scope, ValueType<T> type, T defaultValue) {
            this.name = Objects.requireNonNull(name);
            this.scope = Objects.requireNonNull(scope);
            this.type = Objects.requireNonNull(type);
            this.defaultValue = defaultValue;
        }

        /** The placeholder shown in help, e.g. "B" or "rnn|gru|lstm". */
        public Builder<T> label(String label) {
            this.label = label;
            return this;
        }

        /** Values must pass check; expected says in words what they look like. */
        public Builder<T> check(Predicate<T> check, String expected) {
            this.check = check;
            this.expected = expected;
            return this;
        }

        /** Says what any value of the type looks like, when no check narrows it. */
        public Builder<T> expected(String expected) {
            this.expected = expected;
            return this;
        }

        /** The setting changes nothing unless when holds; where it does not, an untyped value is put back to the default. */
        public Builder<T> appliesWhen(Predicate<Settings> when) {
            this.applies = Objects.requireNonNull(when);
            return this;
        }

        /** The same, and a value other than the default where it does not apply is refused in the words of why. */
        public Builder<T> appliesWhen(Predicate<Settings> when, Function<Settings, String> why) {
            this.refusal = Objects.requireNonNull(why);
            return appliesWhen(when);
        }

        public Setting<T> help(String help) {
            return new Setting<>(name, scope, type, defaultValue, label, help, check, expected, applies, refusal);
        }
    }
}
