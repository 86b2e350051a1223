package dev.tropism.rewards;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tropism.teams.Caller;
import dev.tropism.web.ApiException;
import dev.tropism.web.Violation;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.support.DefaultListableBeanFactory;

/**
 * What the alias service does where the application has no {@link PromotionGate} (no evaluations module): plain
 * moves are unaffected, and a gated move is a 422 at {@code /require_passing_suite} before anything is read or
 * written (the store and the spec lookups are absent here, so touching them would fail the test).
 */
class RewardAliasServiceTest {

    /** A scorer to which every model is a usable reward model. */
    static final RewardModelScorer ANY_MODEL = new RewardModelScorer() {
        @Override
        public Optional<String> unusable(String teamId, String modelId) {
            return Optional.empty();
        }

        @Override
        public double[] score(String teamId, String modelId, List<String> prompts, List<String> completions) {
            throw new UnsupportedOperationException();
        }
    };

    final RewardAliasService service = new RewardAliasService(null, null, null, ANY_MODEL,
            new DefaultListableBeanFactory().getBeanProvider(PromotionGate.class), null);
    final Caller caller = new Caller("team_1", "key_1", false);

    @Test
    void aGatedMoveWithoutEvaluationsIsA422() {
        assertThatThrownBy(() -> service.move(caller, "rm@production", "model_1", "ci"))
                .isInstanceOfSatisfying(ApiException.class, e -> {
                    assertThat(e.status().value()).isEqualTo(422);
                    assertThat(e.violations()).singleElement().satisfies(v -> {
                        assertThat(v.pointer()).isEqualTo("/require_passing_suite");
                        assertThat(v.reason()).contains("evaluations are not available on this server");
                    });
                });
    }

    @Test
    void idsResolveToThemselvesByPrefix() {
        List<Violation> violations = new ArrayList<>();
        assertThat(service.resolve(caller, "/x", "rs_1", violations))
                .isEqualTo(new RewardAliases.Resolved(RewardAliases.Kind.REWARD_SPEC, "rs_1", null));
        assertThat(service.resolve(caller, "/x", "model_1", violations))
                .isEqualTo(new RewardAliases.Resolved(RewardAliases.Kind.REWARD_MODEL, "model_1", null));
        assertThat(violations).isEmpty();
    }
}
