package io.aegis.server.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The channel label of the message metrics stays bounded whatever channel names arrive. */
class DeliveryMetricsTest {

  @Test
  void channelsBeyondTheCapCountAsOther() {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    DeliveryMetrics metrics = new DeliveryMetrics(registry, 2);
    for (int i = 0; i < 1000; i++) {
      metrics.count("accepted", "made-up-" + i);
    }
    metrics.count("accepted", "made-up-0");
    metrics.count("delivered", "policy");
    metrics.count("expired", "*", 3);

    Set<String> labels = registry.find("aegis.messages").counters().stream()
        .map(c -> c.getId().getTag("channel")).collect(Collectors.toSet());
    assertThat(labels).containsExactlyInAnyOrder("made-up-0", "made-up-1", "other", "policy", "*");
    Counter other = registry.find("aegis.messages").tags("outcome", "accepted", "channel", "other").counter();
    assertThat(other.count()).isEqualTo(998);
    assertThat(registry.find("aegis.messages").tags("channel", "made-up-0").counter().count()).isEqualTo(2);
  }
}
