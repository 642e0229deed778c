package charlm.sweep;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import charlm.CharlmException;
import charlm.settings.Setting;
import charlm.train.TrainingSettings;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The plan is a pure function of the grid: the trials, their order and names, what is left out, and each trial's settings. */
class SweepPlanTest {

    /** Every setting at its default but the lists given, in the table's order, as the command makes them. */
    private static Map<Setting<?>, List<Object>> lists(Map<Setting<?>, List<Object>> given) {
        Map<Setting<?>, List<Object>> lists = new LinkedHashMap<>();
        for (Setting<?> s : TrainingSettings.all()) lists.put(s, given.getOrDefault(s, java.util.Collections.singletonList(TrainingSettings.book().get(s))));
        return lists;
    }

    private static SweepPlan plan(Map<Setting<?>, List<Object>> given) {
        return SweepPlan.of(new SweepPlan.Grid(lists(given), given.keySet()));
    }

    @Test
    void theTrialsAreEveryCombinationTheLastSettingFastest() {
        SweepPlan plan = plan(Map.of(TrainingSettings.HIDDENS, List.of(64, 128), TrainingSettings.LR, List.of(0.5, 1.0)));
        assertThat(plan.trials()).extracting(SweepPlan.Trial::name)
                .containsExactly("hiddens-64_lr-0.5", "hiddens-64_lr-1", "hiddens-128_lr-0.5", "hiddens-128_lr-1");
        assertThat(plan.trials()).extracting(SweepPlan.Trial::index).containsExactly(0, 1, 2, 3);
        assertThat(plan.trials().get(2).settings().get(TrainingSettings.HIDDENS)).isEqualTo(128);
        assertThat(plan.trials().get(2).options()).isEqualTo("--hiddens 128 --lr 0.5");
        assertThat(plan.varying()).containsExactly(TrainingSettings.HIDDENS, TrainingSettings.LR);
        assertThat(plan.skipped()).isEmpty();
    }

    @Test
    void whatDoesNotApplyMakesOneTrialAndContradictionsAreLeftOut() {
        SweepPlan plan = plan(Map.of(TrainingSettings.CELL, List.of("rnn", "gru"), TrainingSettings.ACTIVATION,
                List.of(TrainingSettings.ACTIVATION.parse("tanh"), TrainingSettings.ACTIVATION.parse("relu"))));
        assertThat(plan.trials()).extracting(SweepPlan.Trial::name)
                .containsExactly("cell-rnn_activation-tanh", "cell-rnn_activation-relu", "cell-gru");
        SweepPlan contradicting = plan(Map.of(TrainingSettings.SAMPLING, List.of(TrainingSettings.SAMPLING.parse("sequential"),
                TrainingSettings.SAMPLING.parse("random")), TrainingSettings.DETACH, List.of(true, false)));
        assertThat(contradicting.trials()).hasSize(3);
        assertThat(contradicting.skipped()).singleElement().asString().startsWith("sampling-random_detach-false: ");
        assertThatThrownBy(() -> plan(Map.of(TrainingSettings.SAMPLING, List.of(TrainingSettings.SAMPLING.parse("random")),
                TrainingSettings.DETACH, List.of(false)))).isInstanceOf(CharlmException.class).hasMessageContaining("no trial left");
    }

    @Test
    void epochsThatWereNotTypedDoNotEndATimeLimitedTrialAsForTrain() {
        Map<Setting<?>, List<Object>> limited = new LinkedHashMap<>(Map.of(TrainingSettings.TIME_LIMIT, List.of(Duration.ofSeconds(6))));
        SweepPlan.Grid untyped = new SweepPlan.Grid(lists(limited), Set.of(TrainingSettings.TIME_LIMIT));
        assertThat(SweepPlan.of(untyped).trials().get(0).settings().get(TrainingSettings.EPOCHS)).isEqualTo(TrainingSettings.EPOCHS_UNDER_A_TIME_LIMIT);
        limited.put(TrainingSettings.EPOCHS, List.of(7));
        SweepPlan.Grid typed = new SweepPlan.Grid(lists(limited), limited.keySet());
        assertThat(SweepPlan.of(typed).trials().get(0).settings().get(TrainingSettings.EPOCHS)).isEqualTo(7);
        // sweep.json carries the difference, so an executor or --collect plans the same trials
        for (SweepPlan.Grid g : List.of(untyped, typed)) {
            assertThat(SweepPlan.of(SweepPlan.Grid.parse(g.json(), "sweep.json"))).isEqualTo(SweepPlan.of(g));
        }
        assertThat(untyped.json()).contains("\"untyped\"");
        assertThat(typed.json()).doesNotContain("\"untyped\"");
    }

    @Test
    void aGridWithoutATimeLimitIsWrittenAsBeforeAndReadBackToTheSamePlan() {
        SweepPlan.Grid g = new SweepPlan.Grid(lists(Map.of(TrainingSettings.HIDDENS, List.of(64, 128))), Set.of(TrainingSettings.HIDDENS));
        assertThat(g.json()).doesNotContain("untyped");
        assertThat(SweepPlan.of(SweepPlan.Grid.parse(g.json(), "sweep.json"))).isEqualTo(SweepPlan.of(g));
        assertThatThrownBy(() -> SweepPlan.Grid.parse("[1]", "sweep.json")).hasMessageContaining("sweep.json is damaged");
    }
}
