#include "core/local_herd.hpp"

#include "core/client_budget.hpp"
#include "core/io/tcp_environment.hpp"
#include "core/open_files.hpp"
#include "core/runtime.hpp"

namespace herd {

LocalHerd::LocalHerd(HerdSettings settings)
    : settings_(std::move(settings)), neighbours_(settings_.topology.adjacency()) {
  nodes_.resize(settings_.topology.servers.size());
  // The servers share the process's descriptors: one busy server may hold what the others do not
  // use.
  if (!settings_.node.client_budget && settings_.node.max_clients == 0)
    settings_.node.client_budget = std::make_shared<ClientBudget>(client_budget_slots(
        open_file_limit(), settings_.topology.servers.size(), settings_.topology.links.size()));
}

LocalHerd::~LocalHerd() {
  stop();
}

NodeOptions LocalHerd::options_for(std::size_t index, bool with_peers) const {
  const auto& server = settings_.topology.servers[index];
  NodeOptions options = settings_.node;
  options.name = server.name;
  options.listen_host = server.host;
  options.port = server.port;
  options.peer_secret = settings_.topology.peer_secret;
  options.peers.clear();
  options.seed = settings_.seed;  // the node mixes in its own name
  options.herd_index = static_cast<std::uint32_t>(index);
  if (!with_peers) return options;
  for (auto neighbour : neighbours_[index]) {
    const ServerSpec& to = settings_.topology.servers[neighbour];
    options.peers.push_back(settings_.route ? settings_.route(server.name, to)
                                            : PeerEndpoint{to.name, to.host, to.port});
  }
  return options;
}

std::size_t LocalHerd::index_of(std::string_view name) const {
  for (std::size_t i = 0; i < settings_.topology.servers.size(); ++i)
    if (settings_.topology.servers[i].name == name) return i;
  return settings_.topology.servers.size();
}

Expected<void> LocalHerd::start() {
  auto& servers = settings_.topology.servers;
  for (std::size_t i = 0; i < servers.size(); ++i) {
    nodes_[i] = make_node(i, false);
    if (auto bound = nodes_[i]->bind(); !bound) {
      stop();
      return fail(servers[i].name + ": " + bound.error());
    }
    servers[i].port = nodes_[i]->port();
  }
  // Every port is known only now, so this is when links are routed.
  for (std::size_t i = 0; i < servers.size(); ++i) {
    nodes_[i]->set_peers(options_for(i, true).peers);
    nodes_[i]->start();
  }
  return {};
}

std::unique_ptr<Node> LocalHerd::make_node(std::size_t index, bool with_peers) const {
  auto options = options_for(index, with_peers);
  auto environment = settings_.environment
                         ? settings_.environment(options)
                         : make_tcp_environment(*settings_.runtime, options.places);
  return std::make_unique<Node>(std::move(options), settings_.sink, std::move(environment));
}

void LocalHerd::stop() {
  for (auto& node : nodes_) {
    if (node) node->stop_and_wait();
    node.reset();
  }
}

Node* LocalHerd::node(std::string_view name) {
  auto i = index_of(name);
  return i < nodes_.size() ? nodes_[i].get() : nullptr;
}

std::vector<std::string> LocalHerd::names() const {
  std::vector<std::string> out;
  for (const auto& s : settings_.topology.servers) out.push_back(s.name);
  return out;
}

void LocalHerd::crash(std::string_view name) {
  auto i = index_of(name);
  if (i >= nodes_.size() || !nodes_[i]) return;
  nodes_[i]->stop_and_wait();
  nodes_[i].reset();
}

Expected<void> LocalHerd::restart(std::string_view name) {
  auto i = index_of(name);
  if (i >= nodes_.size()) return fail("no server named " + std::string(name));
  crash(name);
  const auto& server = settings_.topology.servers[i];
  auto node = make_node(i, true);
  if (auto bound = node->bind(); !bound)
    return fail(server.name + " (restarting): " + bound.error());
  node->start();
  nodes_[i] = std::move(node);
  return {};
}

}  // namespace herd
