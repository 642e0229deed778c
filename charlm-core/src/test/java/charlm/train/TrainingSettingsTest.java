package charlm.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import charlm.CharlmException;
import charlm.model.Activation;
import charlm.model.InputKind;
import charlm.settings.Registry;
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
    void aDeclarationSaysWhereItsSettingApplies() {
        Settings book = TrainingSettings.book();
        assertThat(TrainingSettings.applies(TrainingSettings.EMBED_DIM, book)).isFalse();
        assertThat(TrainingSettings.applies(TrainingSettings.EMBED_DIM, book.with(TrainingSettings.INPUT, InputKind.EMBEDDING))).isTrue();
        assertThat(TrainingSettings.applies(TrainingSettings.ACTIVATION, book)).isTrue();
        assertThat(TrainingSettings.applies(TrainingSettings.ACTIVATION, book.with(TrainingSettings.CELL, "gru"))).isFalse();
        assertThat(TrainingSettings.applies(TrainingSettings.FORGET_BIAS, book)).isFalse();
        assertThat(TrainingSettings.applies(TrainingSettings.FORGET_BIAS, book.with(TrainingSettings.CELL, "lstm"))).isTrue();
        assertThat(TrainingSettings.applies(TrainingSettings.HIDDENS, book.with(TrainingSettings.CELL, "gru"))).isTrue();
    }

    @Test
    void whatTheOptimizersAndSchedulesReadSaysWhereTheirSettingsApply() {
        Settings book = TrainingSettings.book(), adam = book.with(TrainingSettings.OPTIMIZER, "adam"),
                rmsprop = book.with(TrainingSettings.OPTIMIZER, "rmsprop");
        assertThat(TrainingSettings.applies(TrainingSettings.BETA1, book)).isFalse();
        assertThat(TrainingSettings.applies(TrainingSettings.BETA1, adam)).isTrue();
        assertThat(TrainingSettings.applies(TrainingSettings.RMS_ALPHA, adam)).isFalse();
        assertThat(TrainingSettings.applies(TrainingSettings.RMS_ALPHA, rmsprop)).isTrue();
        assertThat(TrainingSettings.applies(TrainingSettings.EPS, book)).isFalse();
        assertThat(TrainingSettings.applies(TrainingSettings.WEIGHT_DECAY, book)).isTrue();
        assertThat(TrainingSettings.applies(TrainingSettings.LR, book)).isTrue();
        assertThat(TrainingSettings.applies(TrainingSettings.MIN_LR, book)).isFalse();
        assertThat(TrainingSettings.applies(TrainingSettings.MIN_LR, book.with(TrainingSettings.LR_SCHEDULE, "cosine"))).isTrue();
        assertThat(TrainingSettings.applies(TrainingSettings.LR_DECAY_EVERY, book.with(TrainingSettings.LR_SCHEDULE, "step"))).isTrue();
        assertThat(TrainingSettings.applies(TrainingSettings.WARMUP_STEPS, book)).isTrue();
    }

    @Test
    void aRegistryDerivesWhereASettingAppliesFromWhatItsChoicesRead() {
        Registry<String> r = new Registry<>("a thing", "--thing");
        r.register("plain", "p");
        r.register("decaying", "d", TrainingSettings.LR_DECAY);
        assertThat(r.applies(TrainingSettings.LR_DECAY, "plain")).isFalse();
        assertThat(r.applies(TrainingSettings.LR_DECAY, "decaying")).isTrue();
        assertThat(r.applies(TrainingSettings.LR, "plain")).isTrue(); // read by every choice: listed by none
        assertThat(r.get("decaying")).isEqualTo("d");
        assertThat(r.names()).containsExactly("plain", "decaying");
        assertThatThrownBy(() -> r.register("plain", "again")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("a thing called plain is already registered");
        assertThatThrownBy(() -> r.get("fancy")).isInstanceOf(CharlmException.class)
                .hasMessage("--thing must be one of plain, decaying, got 'fancy'");
    }

    @Test
    void aTypedValueThatDoesNotApplyIsRefusedOnlyWhereItsDeclarationSaysSo() {
        Settings gru = TrainingSettings.book().with(TrainingSettings.CELL, "gru");
        assertThatThrownBy(() -> TrainingSettings.validate(gru.with(TrainingSettings.ACTIVATION, Activation.RELU)))
                .isInstanceOf(CharlmException.class).hasMessage("--activation applies to --cell rnn only; gru has its own nonlinearities");
        // -0 is the default written another way.
        assertThat(TrainingSettings.validate(gru.with(TrainingSettings.FORGET_BIAS, -0.0))).isNotNull();
        // An embedding size beside one-hot input, or Adam's beta beside SGD, harms nothing: typed, it is kept.
        Settings harmless = TrainingSettings.book().with(TrainingSettings.EMBED_DIM, 8).with(TrainingSettings.BETA1, 0.5);
        assertThat(TrainingSettings.resolve(harmless, typed(TrainingSettings.EMBED_DIM, TrainingSettings.BETA1))).isEqualTo(harmless);
        assertThat(TrainingSettings.resolve(harmless, typed())).isEqualTo(TrainingSettings.book());
    }

    @Test
    void theCrossSettingChecksRunLast() {
        Settings s = TrainingSettings.book().with(TrainingSettings.PATIENCE, 3);
        assertThatThrownBy(() -> TrainingSettings.resolve(s, typed(TrainingSettings.PATIENCE))).isInstanceOf(CharlmException.class)
                .hasMessageContaining("--patience").hasMessageContaining("--val-fraction");
    }
}
