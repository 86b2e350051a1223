package dev.tropism.teams;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.EnumSet;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class ScopeTest {

    @Test
    void writeImpliesReadOfTheSameResourceOnly() {
        Set<Scope> held = EnumSet.of(Scope.JOBS_WRITE);
        assertThat(Scope.JOBS_READ.grantedBy(held)).isTrue();
        assertThat(Scope.JOBS_WRITE.grantedBy(held)).isTrue();
        assertThat(Scope.DATASETS_READ.grantedBy(held)).as("another resource").isFalse();
        assertThat(Scope.JOBS_WRITE.grantedBy(EnumSet.of(Scope.JOBS_READ))).as("read never implies write").isFalse();
        assertThat(Scope.REWARD_SPECS_READ.grantedBy(EnumSet.of(Scope.REWARD_SPECS_WRITE))).isTrue();
        assertThat(Scope.INFERENCE.grantedBy(EnumSet.of(Scope.TEAM_ADMIN))).as("team:admin is not a superset").isFalse();
    }

    @Test
    void operatorIsNeverGrantedByATeamKeyAndAuthenticatedAlways() {
        assertThat(Scope.OPERATOR.grantedBy(Scope.TEAM_SCOPES)).isFalse();
        assertThat(Scope.OPERATOR.grantedBy(EnumSet.of(Scope.OPERATOR))).isFalse();
        assertThat(Scope.AUTHENTICATED.grantedBy(EnumSet.noneOf(Scope.class))).isTrue();
        assertThat(new Caller(null, "admin", true).has(Scope.OPERATOR)).isTrue();
        assertThat(new Caller("team_1", "key_1", false, Scope.TEAM_SCOPES).has(Scope.OPERATOR)).isFalse();
    }

    @Test
    void storedFormRoundTripsAndDropsWhatNoKeyMayHold() {
        Set<Scope> scopes = EnumSet.of(Scope.USAGE_READ, Scope.DATASETS_READ, Scope.INFERENCE);
        assertThat(Scope.format(scopes)).isEqualTo("datasets:read inference usage:read");
        assertThat(Scope.parse(Scope.format(scopes))).isEqualTo(scopes);
        assertThat(Scope.parse("jobs:read,  models:write operator authenticated jobs:fly"))
                .containsExactlyInAnyOrder(Scope.JOBS_READ, Scope.MODELS_WRITE);
        assertThat(Scope.parse("")).isEmpty();
        assertThat(Scope.wires(EnumSet.noneOf(Scope.class))).isEmpty();
    }

    @Test
    void defaultScopesAreEveryTeamScopeButTeamAdmin() {
        assertThat(Scope.DEFAULT_SCOPES).doesNotContain(Scope.TEAM_ADMIN, Scope.OPERATOR, Scope.AUTHENTICATED);
        EnumSet<Scope> rest = EnumSet.copyOf(Scope.TEAM_SCOPES);
        rest.removeAll(Scope.DEFAULT_SCOPES);
        assertThat(rest).containsExactly(Scope.TEAM_ADMIN);
    }

    /** V15 gives keys older than scopes the default scopes, spelled out in SQL: they must not drift apart. */
    @Test
    void migrationGivesExistingKeysTheDefaultScopes() throws IOException {
        String sql;
        try (InputStream in = getClass().getResourceAsStream("/db/migration/V15__api_key_scopes.sql")) {
            sql = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        Matcher m = Pattern.compile("SET scopes = ((?:'[^']*'\\s*(?:\\|\\|\\s*)?)+);").matcher(sql);
        assertThat(m.find()).as("the UPDATE of scopes in V15").isTrue();
        String literal = String.join("", Pattern.compile("'([^']*)'").matcher(m.group(1)).results()
                .map(r -> r.group(1)).toList());
        assertThat(literal).isEqualTo(Scope.format(Scope.DEFAULT_SCOPES));
    }
}
