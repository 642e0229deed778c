package charlm.cli;

import charlm.CharlmException;
import charlm.settings.Setting;
import charlm.settings.Settings;
import charlm.train.Presets;
import charlm.train.TrainingSettings;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.Model.ArgGroupSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParseResult;

/**
 * The command-line options of a command that trains, made from {@link TrainingSettings}: one option
 * per setting, in sections by scope, with the setting's help and default. A single run takes one value
 * per option ({@link Form#SINGLE}); a sweep takes comma-separated lists ({@link Form#LIST}). A command
 * may give some settings defaults of its own (bench trains 20 epochs). Values are read through each
 * setting's own parse and check, so a bad value is one clear line naming the option.
 */
final class SettingOptions {

    enum Form { SINGLE, LIST }

    private static final Map<Setting.Scope, String> HEADINGS = new EnumMap<>(Map.of(
            Setting.Scope.DATA, "Data:%n", Setting.Scope.MODEL, "Model:%n", Setting.Scope.TRAINING, "Training:%n",
            Setting.Scope.RUN, "Run:%n"));

    private final Form form;
    private final Map<Setting<?>, Object> commandDefaults = new LinkedHashMap<>();
    private final Map<Setting<?>, OptionSpec> options = new LinkedHashMap<>();
    private OptionSpec preset;
    private CommandSpec spec;

    SettingOptions(Form form) {
        this.form = form;
    }

    /** This command's own default for a setting (the table's stays as it is). */
    <T> SettingOptions withDefault(Setting<T> s, T value) {
        commandDefaults.put(s, s.checked(value));
        return this;
    }

    /** Adds the options to the command; called once, when the command line is built. */
    void addTo(CommandSpec command) {
        this.spec = command;
        preset = OptionSpec.builder("--preset").paramLabel(String.join("|", Presets.names())).type(String.class).arity("1")
                .description("Start from a named recipe: book (the chapter: every default) or text (a character GRU for a text of your "
                        + "own; see docs/training.md). Options given beside it override its values.").build();
        command.addOption(preset);
        Map<Setting.Scope, ArgGroupSpec.Builder> groups = new EnumMap<>(Setting.Scope.class);
        for (Setting<?> s : TrainingSettings.all()) {
            OptionSpec o = option(s);
            options.put(s, o);
            groups.computeIfAbsent(s.scope(), k -> ArgGroupSpec.builder().heading(HEADINGS.get(k)).exclusive(false).validate(false)
                    .multiplicity("0..1")).addArg(o);
        }
        for (ArgGroupSpec.Builder g : groups.values()) command.addArgGroup(g.build());
    }

    private OptionSpec option(Setting<?> s) {
        String shownDefault = format(s, defaultOf(s));
        if (form == Form.SINGLE && s.type() == charlm.settings.ValueType.BOOLEAN) {
            // A switch: named for what it changes from the default.
            boolean byDefault = (Boolean) defaultOf(s);
            String name = byDefault ? "--no-" + s.name() : s.option();
            return OptionSpec.builder(name).arity("0").type(Boolean.class).description(s.help()).build();
        }
        String label = form == Form.LIST ? s.label() + "[,...]" : s.label();
        String list = form == Form.LIST ? " A comma-separated list: each value is tried with every value of the other lists." : "";
        String def = shownDefault.isEmpty() ? "" : " Default: " + shownDefault.replace("%", "%%") + ".";
        return OptionSpec.builder(s.option()).paramLabel(label).type(String.class).arity("1")
                .description(s.help().replace("%", "%%") + list + def).build();
    }

    private Object defaultOf(Setting<?> s) {
        return commandDefaults.containsKey(s) ? commandDefaults.get(s) : s.defaultValue();
    }

    @SuppressWarnings("unchecked")
    private static <T> String format(Setting<T> s, Object value) {
        return value == null ? "" : s.format((T) value);
    }

    /** Whether the user gave this setting's option on the command line. */
    boolean given(Setting<?> s) {
        return parseResult().hasMatchedOption(options.get(s));
    }

    /** The option names the user gave, for settings of the given scope. */
    List<String> givenOptions(Setting.Scope scope) {
        List<String> out = new ArrayList<>();
        for (Map.Entry<Setting<?>, OptionSpec> e : options.entrySet()) {
            if (e.getKey().scope() == scope && parseResult().hasMatchedOption(e.getValue())) out.add(e.getValue().longestName());
        }
        return out;
    }

    private ParseResult parseResult() {
        return spec.commandLine().getParseResult();
    }

    /** The settings of a single run: the table's defaults, this command's, then what was typed. */
    Settings resolve() {
        if (form != Form.SINGLE) throw new IllegalStateException("a list form has a grid, not one value");
        return TrainingSettings.resolve(given(defaults()), this::given);
    }

    /** The settings base with what was typed on the command line applied over it (no cross-checks). */
    Settings given(Settings base) {
        Settings s = base;
        for (Map.Entry<Setting<?>, OptionSpec> e : options.entrySet()) {
            if (!parseResult().hasMatchedOption(e.getValue())) continue;
            s = applyTyped(s, e.getKey(), e.getValue());
        }
        return s;
    }

    /** The table's defaults with this command's own, then the --preset's. */
    Settings defaults() {
        Settings s = TrainingSettings.book();
        for (Map.Entry<Setting<?>, Object> e : commandDefaults.entrySet()) s = withValue(s, e.getKey(), e.getValue());
        Presets.Preset p = preset();
        return p == null ? s : p.applyTo(s);
    }

    /** The --preset given, or null. */
    Presets.Preset preset() {
        if (preset == null || !parseResult().hasMatchedOption(preset)) return null;
        String name = (String) preset.getValue();
        Presets.Preset p = Presets.get(name.strip().toLowerCase(Locale.ROOT));
        if (p == null) throw new CharlmException("--preset must be one of " + String.join(", ", Presets.names()) + ", got '" + name + "'");
        return p;
    }

    private static <T> Settings applyTyped(Settings s, Setting<T> setting, OptionSpec o) {
        Object v = o.getValue();
        if (v instanceof Boolean b) { // a switch: the opposite of the default it is named after
            return withValue(s, setting, o.longestName().startsWith("--no-") ? !b : b);
        }
        return s.with(setting, setting.parse((String) v));
    }

    @SuppressWarnings("unchecked")
    private static <T> Settings withValue(Settings s, Setting<T> setting, Object value) {
        return s.with(setting, (T) value);
    }

    /**
     * The values of each setting in a list form: what was typed (split at commas), else the default.
     * In the order of the table; every list has at least one value.
     */
    Map<Setting<?>, List<Object>> lists() {
        if (form != Form.LIST) throw new IllegalStateException("a single form has one value per setting");
        Map<Setting<?>, List<Object>> out = new LinkedHashMap<>();
        for (Map.Entry<Setting<?>, OptionSpec> e : options.entrySet()) {
            Setting<?> s = e.getKey();
            List<Object> values = new ArrayList<>();
            if (parseResult().hasMatchedOption(e.getValue())) {
                String typed = (String) e.getValue().getValue();
                for (String part : typed.split(",", -1)) {
                    if (part.isBlank()) throw new CharlmException(s.option() + " has an empty item in '" + typed + "'; give values separated by commas");
                    Object v = s.parse(part.strip());
                    if (values.contains(v)) throw new CharlmException(s.option() + " lists " + part.strip() + " twice");
                    values.add(v);
                }
            } else {
                values.add(defaults().get(s));
            }
            out.put(s, values);
        }
        return out;
    }

    static String describe(Setting<?> s) {
        return s.option().toLowerCase(Locale.ROOT);
    }
}
