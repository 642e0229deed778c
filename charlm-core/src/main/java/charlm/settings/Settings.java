package charlm.settings;

import java.util.Collections;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The values of a table of settings: every declared setting has one (its default until set).
 * Immutable; {@link #with} gives a changed copy, checked as the command line would check it.
 * JSON in and out is keyed by each setting's {@link Setting#key()}, in declaration order.
 */
public final class Settings {
    private final List<Setting<?>> table;
    private final Map<Setting<?>, Object> values;

    private Settings(List<Setting<?>> table, Map<Setting<?>, Object> values) {
        this.table = table;
        this.values = values;
    }

    /** Every setting of the table at its default. */
    public static Settings defaults(List<Setting<?>> table) {
        Map<Setting<?>, Object> v = new LinkedHashMap<>();
        for (Setting<?> s : table) v.put(s, s.defaultValue());
        return new Settings(List.copyOf(table), Collections.unmodifiableMap(v));
    }

    public List<Setting<?>> table() {
        return table;
    }

    @SuppressWarnings("unchecked")
    public <T> T get(Setting<T> s) {
        if (!values.containsKey(s)) throw new IllegalArgumentException(s.option() + " is not one of these settings");
        return (T) values.get(s);
    }

    /** A copy with one value changed; the value is checked as if typed on the command line. */
    public <T> Settings with(Setting<T> s, T value) {
        if (!values.containsKey(s)) throw new IllegalArgumentException(s.option() + " is not one of these settings");
        Map<Setting<?>, Object> v = new LinkedHashMap<>(values);
        v.put(s, s.checked(value));
        return new Settings(table, Collections.unmodifiableMap(v));
    }

    /** A copy with every setting that other sets (and that is in this table) taken from other. */
    public Settings with(Settings other, Set<Setting.Scope> scopes) {
        Map<Setting<?>, Object> v = new LinkedHashMap<>(values);
        for (Setting<?> s : table) if (other.values.containsKey(s) && scopes.contains(s.scope())) v.put(s, other.values.get(s));
        return new Settings(table, Collections.unmodifiableMap(v));
    }

    /** A copy with the settings named in json (by key) read from it; keys it does not know are left alone. */
    public Settings withJson(Map<?, ?> json, String where) {
        Map<Setting<?>, Object> v = new LinkedHashMap<>(values);
        for (Setting<?> s : table) if (json.containsKey(s.key())) v.put(s, s.fromJson(json.get(s.key()), where));
        return new Settings(table, Collections.unmodifiableMap(v));
    }

    /** Every setting, keyed for JSON, in declaration order. */
    public Map<String, Object> toJson() {
        return toJson(EnumSet.allOf(Setting.Scope.class));
    }

    /** The settings of the given scopes, keyed for JSON, in declaration order. */
    public Map<String, Object> toJson(Set<Setting.Scope> scopes) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (Setting<?> s : table) if (scopes.contains(s.scope())) m.put(s.key(), json(s));
        return m;
    }

    private <T> Object json(Setting<T> s) {
        return s.toJson(get(s));
    }

    /** A value as typed on the command line. */
    public <T> String format(Setting<T> s) {
        return s.format(get(s));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Settings other && table.equals(other.table) && values.equals(other.values);
    }

    @Override
    public int hashCode() {
        return Objects.hash(table, values);
    }

    @Override
    public String toString() {
        return toJson().toString();
    }
}
