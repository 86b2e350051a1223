package dev.tropism.billing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tropism.web.Violation;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

class MoneyTest {

    private final JsonMapper json = JsonMapper.builder().build();

    private List<Violation> check(String amount) {
        JsonNode node = json.readTree("{\"a\":" + amount + "}").get("a");
        List<Violation> violations = new ArrayList<>();
        Money.positive(node, "/a", violations);
        return violations;
    }

    @Test
    void anAmountBeyondADoubleIsAViolationNotAnError() {
        assertThat(check("1e400")).extracting(Violation::pointer, Violation::reason)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("/a", "must be a finite number at most 1000000000000"));
        assertThat(check("-1e400")).hasSize(1);
    }

    @Test
    void acceptsPositiveAmountsUpToTheMaximumWithNineDecimals() {
        List<Violation> none = new ArrayList<>();
        assertThat(Money.positive(json.readTree("12.5"), "/a", none)).isEqualByComparingTo(new BigDecimal("12.5"));
        assertThat(none).isEmpty();
        assertThat(check("1000000000000")).isEmpty();
        assertThat(check("0.000000001")).isEmpty();
        assertThat(check("0.0000000001")).extracting(Violation::reason).containsExactly("must have at most 9 decimal places");
        assertThat(check("0")).hasSize(1);
        assertThat(check("1000000000000.5")).hasSize(1);
    }
}
