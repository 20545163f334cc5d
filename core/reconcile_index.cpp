#include "core/reconcile_index.hpp"

#include <openssl/evp.h>
#include <openssl/sha.h>

#include <algorithm>
#include <cstring>

namespace herd::reconcile {

std::uint64_t item_id(std::string_view at_line) {
  // Fetched once: OpenSSL 3's SHA256() looks the algorithm up by name on every call, which cost
  // half of each hash.
  static EVP_MD* const sha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  unsigned char digest[SHA256_DIGEST_LENGTH];
  if (sha256 == nullptr ||
      EVP_Digest(at_line.data(), at_line.size(), digest, nullptr, sha256, nullptr) != 1)
    SHA256(reinterpret_cast<const unsigned char*>(at_line.data()), at_line.size(), digest);
  std::uint64_t id = 0;
  for (int i = 0; i < 8; ++i) id = (id << 8) | digest[i];
  return id;
}

void Index::update(std::uint32_t n) {
  auto& node = nodes_[n];
  node.count = 1;
  node.sum = node.key.id;
  for (auto child : {node.left, node.right})
    if (child != none) {
      node.count += nodes_[child].count;
      node.sum += nodes_[child].sum;
    }
}

void Index::split(std::uint32_t tree, const Key& key, std::uint32_t& less, std::uint32_t& rest) {
  // Iterative over the path, so a deep tree cannot overflow the stack; the path's buffers are
  // kept between calls (a store changes a record per update).
  auto& path = path_;
  auto& went_right = went_right_;
  path.clear();
  went_right.clear();
  less = rest = none;
  std::uint32_t n = tree;
  while (n != none) {
    path.push_back(n);
    bool right = nodes_[n].key < key;
    went_right.push_back(right);
    n = right ? nodes_[n].right : nodes_[n].left;
  }
  // Rebuild bottom-up: a node whose key is below `key` takes the "less" side's pieces on its right.
  for (std::size_t i = path.size(); i-- > 0;) {
    auto node = path[i];
    if (went_right[i]) {
      nodes_[node].right = less;
      update(node);
      less = node;
    } else {
      nodes_[node].left = rest;
      update(node);
      rest = node;
    }
  }
}

std::uint32_t Index::join(std::uint32_t a, std::uint32_t b) {
  if (a == none) return b;
  if (b == none) return a;
  // Every key in a is below every key in b. Walk down the spine whose priorities are higher.
  auto& path = join_path_;  // node, took from a
  path.clear();
  std::uint32_t result = none;
  std::uint32_t* hole = &result;
  while (a != none && b != none) {
    if (nodes_[a].priority > nodes_[b].priority) {
      *hole = a;
      path.emplace_back(a, true);
      hole = &nodes_[a].right;
      a = nodes_[a].right;
    } else {
      *hole = b;
      path.emplace_back(b, false);
      hole = &nodes_[b].left;
      b = nodes_[b].left;
    }
  }
  *hole = a != none ? a : b;
  for (std::size_t i = path.size(); i-- > 0;) update(path[i].first);
  return result;
}

void Index::insert(const Key& key, std::string_view client) {
  std::uint32_t n;
  if (!free_.empty()) {
    n = free_.back();
    free_.pop_back();
  } else {
    n = static_cast<std::uint32_t>(nodes_.size());
    nodes_.emplace_back();
  }
  auto& node = nodes_[n];
  node.key = key;
  node.client.assign(client);
  node.priority = priority_of(key);
  node.left = node.right = none;
  update(n);
  std::uint32_t less, rest;
  split(root_, key, less, rest);
  root_ = join(join(less, n), rest);
}

void Index::assign(std::vector<std::pair<Key, std::string>> items) {
  std::sort(items.begin(), items.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  nodes_.clear();
  free_.clear();
  root_ = none;
  nodes_.reserve(items.size());
  // The treap of sorted keys is their Cartesian tree by priority, built along its right spine:
  // each key hangs below the last spine node of higher priority and takes the lower ones it
  // passes as its left subtree.
  std::vector<std::uint32_t> spine;
  for (auto& [key, client] : items) {
    auto n = static_cast<std::uint32_t>(nodes_.size());
    auto& node = nodes_.emplace_back();
    node.key = key;
    node.client = std::move(client);
    node.priority = priority_of(key);
    std::uint32_t passed = none;
    while (!spine.empty() && nodes_[spine.back()].priority <= node.priority) {
      passed = spine.back();
      spine.pop_back();
    }
    node.left = passed;
    if (!spine.empty()) nodes_[spine.back()].right = n;
    spine.push_back(n);
  }
  if (spine.empty()) return;
  root_ = spine.front();
  // Counts and sums bottom up: children before parents, in an explicit post-order walk.
  std::vector<std::pair<std::uint32_t, bool>> walk{{root_, false}};
  while (!walk.empty()) {
    auto [n, children_done] = walk.back();
    walk.pop_back();
    if (children_done) {
      update(n);
      continue;
    }
    walk.emplace_back(n, true);
    for (auto child : {nodes_[n].left, nodes_[n].right})
      if (child != none) walk.emplace_back(child, false);
  }
}

bool Index::erase(const Key& key) {
  std::uint32_t less, rest, match, after;
  split(root_, key, less, rest);
  Key next = key;
  if (next.id == UINT64_MAX) {
    next.id = 0;
    if (++next.nanos == 1'000'000'000) {
      next.nanos = 0;
      ++next.seconds;
    }
  } else {
    ++next.id;
  }
  split(rest, next, match, after);
  bool found = match != none;
  if (found) {
    nodes_[match].client.clear();
    nodes_[match].client.shrink_to_fit();
    free_.push_back(match);
  }
  root_ = join(less, after);
  return found;
}

Fingerprint Index::below(const Key& key) const {
  Fingerprint f;
  for (auto n = root_; n != none;) {
    const auto& node = nodes_[n];
    if (node.key < key) {
      if (node.left != none) {
        f.count += nodes_[node.left].count;
        f.sum += nodes_[node.left].sum;
      }
      f.count += 1;
      f.sum += node.key.id;
      n = node.right;
    } else {
      n = node.left;
    }
  }
  return f;
}

Fingerprint Index::fingerprint(const Key& lower, const Key& upper) const {
  if (!(lower < upper)) return {};
  auto a = below(lower), b = below(upper);
  return {b.count - a.count, b.sum - a.sum};
}

std::size_t Index::rank(const Key& key) const {
  return below(key).count;
}

const Key& Index::at(std::size_t rank) const {
  auto n = root_;
  for (;;) {
    const auto& node = nodes_[n];
    std::size_t left = node.left == none ? 0 : nodes_[node.left].count;
    if (rank < left) {
      n = node.left;
    } else if (rank == left) {
      return node.key;
    } else {
      rank -= left + 1;
      n = node.right;
    }
  }
}

void Index::items(const Key& lower, const Key& upper, std::size_t most, std::vector<Key>& keys,
                  std::vector<std::string>* clients) const {
  // In order from the first key >= lower: a stack walk, stopping at `upper` or `most`.
  std::vector<std::uint32_t> stack;
  auto n = root_;
  while (n != none) {
    if (nodes_[n].key < lower) {
      n = nodes_[n].right;
    } else {
      stack.push_back(n);
      n = nodes_[n].left;
    }
  }
  std::size_t taken = 0;
  while (!stack.empty() && taken < most) {
    auto top = stack.back();
    stack.pop_back();
    if (!(nodes_[top].key < upper)) break;
    keys.push_back(nodes_[top].key);
    if (clients != nullptr) clients->push_back(nodes_[top].client);
    ++taken;
    for (auto c = nodes_[top].right; c != none; c = nodes_[c].left) stack.push_back(c);
  }
}

const std::string* Index::client_of(const Key& key) const {
  for (auto n = root_; n != none;) {
    const auto& node = nodes_[n];
    if (node.key == key) return &node.client;
    n = node.key < key ? node.right : node.left;
  }
  return nullptr;
}

}  // namespace herd::reconcile
