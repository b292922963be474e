package io.aegis.bench.mqtt;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.eclipse.paho.client.mqttv3.IMqttActionListener;
import org.eclipse.paho.client.mqttv3.IMqttDeliveryToken;
import org.eclipse.paho.client.mqttv3.IMqttToken;
import org.eclipse.paho.client.mqttv3.MqttAsyncClient;
import org.eclipse.paho.client.mqttv3.MqttCallback;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttException;
import org.eclipse.paho.client.mqttv3.MqttMessage;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;

/**
 * The peer workload's clients on an MQTT broker (Mosquitto): N subscribers, each with a
 * persistent session (clean session false) subscribed at QoS 1 to its own topic
 * {@code aegis-bench/<prefix>/agents/<id>} and to {@code aegis-bench/<prefix>/broadcast}, and one
 * publisher publishing at QoS 1 (accepted = the broker's PUBACK).
 *
 * <p>Eclipse Paho's MQTTv3 client runs a few threads per connection (receiver, sender,
 * callback, ping timer), so this fleet uses about 4 threads per subscriber, unlike the Aegis
 * fleet. Each session is wiped (clean-session connect) before and after the run so that nothing
 * from an earlier run is delivered and nothing is left queued on the shared broker.
 *
 * <p>Thread-safe after {@link #connect}; the listener is called on Paho's callback threads.
 */
public final class MqttFleet implements AutoCloseable {
  /** Receives every message a subscriber gets: its body and {@link System#nanoTime()} on arrival. */
  @FunctionalInterface
  public interface Listener {
    void onMessage(String topic, byte[] body, long receivedNanos);
  }

  private final String broker;
  private final String prefix;
  private final int size;
  private final List<MqttAsyncClient> subscribers = new ArrayList<>();
  private MqttAsyncClient publisher;
  private volatile Listener listener = (t, b, n) -> { };
  /** Connections lost during the run. */
  public final LongAdder lost = new LongAdder();

  public MqttFleet(String broker, String prefix, int size) {
    this.broker = broker;
    this.prefix = prefix;
    this.size = size;
  }

  public void listener(Listener listener) {
    this.listener = listener;
  }

  public String topicOf(int i) {
    return "aegis-bench/" + prefix + "/agents/" + clientId(i);
  }

  public String broadcastTopic() {
    return "aegis-bench/" + prefix + "/broadcast";
  }

  private String clientId(int i) {
    return String.format("%s-mqtt-%06d", prefix, i + 1);
  }

  /** Wipes and connects every subscriber (persistent sessions, QoS 1 subscriptions) and the publisher. */
  public void connect(int publisherInflight, java.util.function.IntConsumer progress) throws MqttException {
    wipeAll();
    AtomicInteger connected = new AtomicInteger();
    List<IMqttToken> pending = new ArrayList<>();
    for (int i = 0; i < size; i++) {
      MqttAsyncClient c = new MqttAsyncClient(broker, clientId(i), new MemoryPersistence());
      c.setCallback(new MqttCallback() {
        @Override
        public void connectionLost(Throwable cause) {
          lost.increment();
        }

        @Override
        public void messageArrived(String topic, MqttMessage message) {
          listener.onMessage(topic, message.getPayload(), System.nanoTime());
        }

        @Override
        public void deliveryComplete(IMqttDeliveryToken token) { }
      });
      int index = i;
      pending.add(c.connect(options(false, 1000), null, new IMqttActionListener() {
        @Override
        public void onSuccess(IMqttToken token) {
          try {
            c.subscribe(new String[] {topicOf(index), broadcastTopic()}, new int[] {1, 1}, null,
                new IMqttActionListener() {
                  @Override
                  public void onSuccess(IMqttToken t) {
                    progress.accept(connected.incrementAndGet());
                  }

                  @Override
                  public void onFailure(IMqttToken t, Throwable e) {
                    lost.increment();
                  }
                });
          } catch (MqttException e) {
            lost.increment();
          }
        }

        @Override
        public void onFailure(IMqttToken token, Throwable e) {
          lost.increment();
        }
      }));
      subscribers.add(c);
      if (pending.size() == 64) {
        waitAll(pending);
      }
    }
    waitAll(pending);
    long deadline = System.nanoTime() + 60_000_000_000L;
    while (connected.get() < size && lost.sum() == 0 && System.nanoTime() < deadline) {
      sleep(10);
    }
    if (connected.get() < size) {
      throw new MqttException(MqttException.REASON_CODE_CLIENT_TIMEOUT);
    }
    publisher = new MqttAsyncClient(broker, prefix + "-mqtt-publisher", new MemoryPersistence());
    publisher.connect(options(false, publisherInflight)).waitForCompletion(60_000);
  }

  private static MqttConnectOptions options(boolean clean, int maxInflight) {
    MqttConnectOptions o = new MqttConnectOptions();
    o.setCleanSession(clean);
    o.setMaxInflight(maxInflight);
    o.setAutomaticReconnect(false);
    o.setKeepAliveInterval(60);
    o.setConnectionTimeout(60);
    return o;
  }

  /**
   * Connects every client id once with clean session true and disconnects: the broker forgets
   * their sessions (and anything queued for them). 64 at a time.
   */
  private void wipeAll() throws MqttException {
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < size; i++) {
      ids.add(clientId(i));
    }
    ids.add(prefix + "-mqtt-publisher");
    for (int from = 0; from < ids.size(); from += 64) {
      List<MqttAsyncClient> batch = new ArrayList<>();
      List<IMqttToken> tokens = new ArrayList<>();
      for (String id : ids.subList(from, Math.min(ids.size(), from + 64))) {
        MqttAsyncClient c = new MqttAsyncClient(broker, id, new MemoryPersistence());
        batch.add(c);
        tokens.add(c.connect(options(true, 10)));
      }
      waitAll(tokens);
      tokens.clear();
      for (MqttAsyncClient c : batch) {
        tokens.add(c.disconnect(0));
      }
      waitAll(tokens);
      for (MqttAsyncClient c : batch) {
        c.close();
      }
    }
  }

  private static void waitAll(List<IMqttToken> tokens) throws MqttException {
    for (IMqttToken t : tokens) {
      t.waitForCompletion(60_000);
    }
    tokens.clear();
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Publishes at QoS 1; {@code onAck} runs when the broker acknowledges (PUBACK), {@code onFail} if it fails. */
  public void publish(String topic, String body, Runnable onAck, java.util.function.Consumer<Throwable> onFail) {
    try {
      publisher.publish(topic, body.getBytes(StandardCharsets.UTF_8), 1, false, null, new IMqttActionListener() {
        @Override
        public void onSuccess(IMqttToken token) {
          onAck.run();
        }

        @Override
        public void onFailure(IMqttToken token, Throwable e) {
          onFail.accept(e);
        }
      });
    } catch (MqttException e) {
      onFail.accept(e);
    }
  }

  public int size() {
    return size;
  }

  @Override
  public void close() {
    List<MqttAsyncClient> all = new ArrayList<>(subscribers);
    if (publisher != null) {
      all.add(publisher);
    }
    List<IMqttToken> tokens = new ArrayList<>();
    for (MqttAsyncClient c : all) {
      try {
        tokens.add(c.disconnect(0));
      } catch (MqttException e) {
        // closing anyway
      }
    }
    try {
      waitAll(tokens);
    } catch (MqttException e) {
      // closing anyway
    }
    for (MqttAsyncClient c : all) {
      try {
        c.close();
      } catch (MqttException e) {
        // best effort
      }
    }
    try {
      wipeAll();
    } catch (MqttException e) {
      // best effort: the broker keeps these sessions until they expire
    }
  }
}
