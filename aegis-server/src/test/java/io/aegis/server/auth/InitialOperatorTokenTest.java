package io.aegis.server.auth;

import static org.assertj.core.api.Assertions.assertThat;

import io.aegis.server.testing.ApiClient;
import io.aegis.server.testing.StoreKind;
import io.aegis.server.testing.TestGateway;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class InitialOperatorTokenTest {

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void theFirstStartCreatesAnOperatorTokenShownOnceAndStoredAsAHash(StoreKind store) throws Exception {
    try (TestGateway gw = TestGateway.start(store, Map.of("AEGIS_ADMIN_TOKEN", ""))) {
      assertThat(gw.server().config().adminToken()).isEmpty();
      String token = gw.server().initialOperatorToken().orElseThrow();
      assertThat(token).startsWith("aegis_op_").hasSize(9 + 43);
      assertThat(gw.withToken(token).get("/api/v1/agents").status()).isEqualTo(200);
      assertThat(gw.operator().get("/api/v1/agents").status()).as("the test token is not configured").isEqualTo(401);

      gw.restart();
      assertThat(gw.server().initialOperatorToken()).as("a second start creates none").isEmpty();
      ApiClient op = gw.withToken(token);
      assertThat(op.get("/api/v1/agents").status()).as("the first token survives the restart").isEqualTo(200);

      List<String[]> rows = gw.server().database().read(c -> {
        try (PreparedStatement ps = c.prepareStatement("SELECT name, token_hash FROM operator_tokens");
             ResultSet rs = ps.executeQuery()) {
          List<String[]> out = new ArrayList<>();
          while (rs.next()) {
            out.add(new String[] {rs.getString(1), rs.getString(2)});
          }
          return out;
        }
      });
      assertThat(rows).hasSize(1);
      assertThat(rows.get(0)[0]).isEqualTo("initial");
      assertThat(rows.get(0)[1]).isEqualTo(HexFormat.of().formatHex(
          java.security.MessageDigest.getInstance("SHA-256").digest(token.getBytes(java.nio.charset.StandardCharsets.UTF_8))));
      assertThat(rows.get(0)[1]).doesNotContain(token.substring(9));
    }
  }

  @ParameterizedTest
  @EnumSource(StoreKind.class)
  void aConfiguredAdminTokenMeansNoGeneratedOne(StoreKind store) {
    try (TestGateway gw = TestGateway.start(store)) {
      assertThat(gw.server().initialOperatorToken()).isEmpty();
      assertThat(gw.operator().get("/api/v1/agents").status()).isEqualTo(200);
      int stored = gw.server().database().read(c -> {
        try (ResultSet rs = c.createStatement().executeQuery("SELECT COUNT(*) FROM operator_tokens")) {
          rs.next();
          return rs.getInt(1);
        }
      });
      assertThat(stored).as("AEGIS_ADMIN_TOKEN is never stored").isZero();
    }
  }
}
