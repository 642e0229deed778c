package charlm.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import charlm.CharlmException;
import charlm.settings.Setting;
import charlm.settings.Settings;
import java.time.Duration;
import java.util.Set;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

/**
 * {@link TrainingSettings#resolve}: the rules that turn what a run was given into what it trains with,
 * shared by train and a sweep's trials. The expected values are the rules read literally (a time limit
 * is how long the run trains; what does not apply is dropped unless typed; cross-setting checks last).
 */
class TrainingSettingsTest {

    private static Predicate<Setting<?>> typed(Setting<?>... settings) {
        return Set.of(settings)::contains;
    }

    private static Settings text() {
        return Presets.get("text").applyTo(TrainingSettings.book());
    }

    @Test
    void theBookResolvesToItself() {
        assertThat(TrainingSettings.resolve(TrainingSettings.book(), typed())).isEqualTo(TrainingSettings.book());
    }

    @Test
    void aTimeLimitIsNotEndedByEpochsThatWereNotTyped() {
        Settings limited = TrainingSettings.book().with(TrainingSettings.TIME_LIMIT, Duration.ofMinutes(10));
        assertThat(TrainingSettings.resolve(limited, typed()).get(TrainingSettings.EPOCHS))
                .isEqualTo(TrainingSettings.EPOCHS_UNDER_A_TIME_LIMIT);
        // A preset's epochs (text trains 10) are not typed either.
        Settings preset = text().with(TrainingSettings.TIME_LIMIT, Duration.ofMinutes(10));
        assertThat(preset.get(TrainingSettings.EPOCHS)).isEqualTo(10);
        assertThat(TrainingSettings.resolve(preset, typed(TrainingSettings.TIME_LIMIT)).get(TrainingSettings.EPOCHS))
                .isEqualTo(TrainingSettings.EPOCHS_UNDER_A_TIME_LIMIT);
    }

    @Test
    void typedEpochsEndATimeLimitedRun() {
        Settings s = TrainingSettings.book().with(TrainingSettings.TIME_LIMIT, Duration.ofHours(1)).with(TrainingSettings.EPOCHS, 3);
        assertThat(TrainingSettings.resolve(s, typed(TrainingSettings.EPOCHS)).get(TrainingSettings.EPOCHS)).isEqualTo(3);
    }

    @Test
    void withoutATimeLimitTheEpochsStay() {
        assertThat(TrainingSettings.resolve(text(), typed()).get(TrainingSettings.EPOCHS)).isEqualTo(10);
        assertThat(TrainingSettings.resolve(TrainingSettings.book(), typed()).get(TrainingSettings.EPOCHS)).isEqualTo(500);
    }

    @Test
    void anUntypedValueThatDoesNotApplyIsPutBackToItsDefault() {
        // The text preset sets an LSTM's forget bias; with its GRU the bias has nothing to act on.
        Settings resolved = TrainingSettings.resolve(text(), typed());
        assertThat(text().get(TrainingSettings.FORGET_BIAS)).isEqualTo(1.0);
        assertThat(resolved.get(TrainingSettings.FORGET_BIAS)).isEqualTo(0.0);
        assertThat(resolved.get(TrainingSettings.CELL)).isEqualTo("gru");
        // With the LSTM it applies and stays.
        Settings lstm = text().with(TrainingSettings.CELL, "lstm");
        assertThat(TrainingSettings.resolve(lstm, typed(TrainingSettings.CELL)).get(TrainingSettings.FORGET_BIAS)).isEqualTo(1.0);
    }

    @Test
    void aTypedValueThatDoesNotApplyIsRefused() {
        Settings s = text().with(TrainingSettings.FORGET_BIAS, 2.0);
        assertThatThrownBy(() -> TrainingSettings.resolve(s, typed(TrainingSettings.FORGET_BIAS))).isInstanceOf(CharlmException.class)
                .hasMessageContaining("--forget-bias").hasMessageContaining("gru");
    }

    @Test
    void theCrossSettingChecksRunLast() {
        Settings s = TrainingSettings.book().with(TrainingSettings.PATIENCE, 3);
        assertThatThrownBy(() -> TrainingSettings.resolve(s, typed(TrainingSettings.PATIENCE))).isInstanceOf(CharlmException.class)
                .hasMessageContaining("--patience").hasMessageContaining("--val-fraction");
    }
}
