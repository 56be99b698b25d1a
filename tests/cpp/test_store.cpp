// The C++ wrapper (include/akms.hpp) end to end: every Store method, the RAII and move rules,
// akms::Error with its status and message, bool verify, restricted handles and the audit
// callback. Built with -std=c++17 -Wall -Wextra -Werror and run under valgrind (make test-cpp).

#include "akms.hpp"

#include <cstdio>
#include <cstdlib>
#include <string>
#include <type_traits>
#include <unistd.h>
#include <vector>

static int failures = 0;
static int checks = 0;

#define CHECK(cond)                                                                  \
    do {                                                                             \
        ++checks;                                                                    \
        if (!(cond)) {                                                               \
            ++failures;                                                              \
            std::fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
        }                                                                            \
    } while (0)

// Runs `body`, expecting akms::Error with `status`; returns its message.
template <typename F>
static std::string expect_error(akms::Status status, F body) {
    try {
        body();
    } catch (const akms::Error &e) {
        CHECK(e.status() == status);
        if (e.status() != status) {
            std::fprintf(stderr, "  got %s: %s\n", e.status_name(), e.what());
        }
        CHECK(std::string(e.what()).size() > 0);
        return e.what();
    }
    CHECK(!"no akms::Error thrown");
    return "";
}

static bool contains(const std::string &haystack, const std::string &needle) {
    return haystack.find(needle) != std::string::npos;
}

static_assert(!std::is_copy_constructible_v<akms::Store>, "Store is not copyable");
static_assert(!std::is_copy_assignable_v<akms::Store>, "Store is not copy-assignable");
static_assert(std::is_nothrow_move_constructible_v<akms::Store>, "Store moves");
static_assert(std::is_nothrow_move_assignable_v<akms::Store>, "Store move-assigns");
static_assert(std::is_base_of_v<std::runtime_error, akms::Error>, "Error is a runtime_error");
static_assert(std::is_enum_v<akms::KeySpec> && !std::is_convertible_v<akms::KeySpec, int>,
              "KeySpec is an enum class");

static void test_versions() {
    CHECK(akms::abi_version() == AKMS_ABI_VERSION);
    CHECK(!akms::version().empty());
    CHECK(std::string(akms::status_name(akms::Status::NOT_FOUND)) == "AKMS_ERR_NOT_FOUND");
}

static void test_keys_and_states() {
    akms::Store store;
    auto [key_id, version_id] =
        store.create_key(akms::KeySpec::EC_P256, akms::KeyUsage::SIGN_VERIFY, "from C++");
    CHECK(key_id.size() == 36 && version_id.size() == 36);
    std::string meta = store.describe_key(key_id);
    CHECK(contains(meta, "\"KeySpec\":\"EC_P256\""));
    CHECK(contains(meta, "\"Description\":\"from C++\""));
    std::string v2 = store.create_key_version(key_id);
    CHECK(v2 != version_id);
    CHECK(contains(store.list_key_versions(key_id), v2));
    CHECK(contains(store.list_keys(), key_id));

    store.create_alias("alias/cpp", key_id);
    CHECK(contains(store.describe_key("alias/cpp"), key_id));
    auto other = store.create_key(akms::KeySpec::EC_P256K, akms::KeyUsage::SIGN_VERIFY);
    store.update_alias("alias/cpp", other.key_id);
    CHECK(contains(store.describe_key("alias/cpp"), other.key_id));
    store.delete_alias("alias/cpp");
    expect_error(akms::Status::NOT_FOUND, [&] { store.describe_key("alias/cpp"); });

    store.disable_key(key_id);
    CHECK(contains(store.describe_key(key_id), "\"KeyState\":\"Disabled\""));
    std::vector<std::uint8_t> digest(32, 7);
    expect_error(akms::Status::INVALID_STATE, [&] {
        store.asymmetric_sign(key_id, version_id, akms::Algorithm::ECDSA_SHA_256,
                              akms::MessageType::DIGEST, digest);
    });
    store.enable_key(key_id);
    std::string msg = expect_error(akms::Status::INVALID_ARGUMENT,
                                   [&] { store.schedule_key_deletion(key_id, 3); });
    CHECK(contains(msg, "7 to 30"));
    store.schedule_key_deletion(key_id, 7);
    CHECK(contains(store.describe_key(key_id), "PendingDeletion"));
    store.cancel_key_deletion(key_id);
    CHECK(contains(store.describe_key(key_id), "\"KeyState\":\"Enabled\""));

    expect_error(akms::Status::INCOMPATIBLE, [&] {
        store.create_key(akms::KeySpec::EC_P256, akms::KeyUsage::ENCRYPT_DECRYPT);
    });
    expect_error(akms::Status::ALREADY_EXISTS, [&] {
        store.create_alias("alias/x", key_id);
        store.create_alias("alias/x", key_id);
    });
    // Text with a NUL in it never reaches the library.
    expect_error(akms::Status::INVALID_ARGUMENT,
                 [&] { store.describe_key(std::string_view("a\0b", 3)); });
}

static void test_sign_verify_encrypt_decrypt() {
    akms::Store store;
    const std::string message = "signed from C++";
    struct Case {
        akms::KeySpec spec;
        akms::Algorithm alg;
    };
    for (Case c : {Case{akms::KeySpec::RSA_2048, akms::Algorithm::RSA_PSS_SHA_256},
                   Case{akms::KeySpec::EC_P256, akms::Algorithm::ECDSA_SHA_256},
                   Case{akms::KeySpec::EC_SM2, akms::Algorithm::SM2DSA}}) {
        auto key = store.create_key(c.spec, akms::KeyUsage::SIGN_VERIFY);
        std::vector<std::uint8_t> sig = store.asymmetric_sign(
            key.key_id, key.version_id, c.alg, akms::MessageType::RAW, message);
        CHECK(!sig.empty());
        CHECK(store.asymmetric_verify(key.key_id, key.version_id, c.alg, akms::MessageType::RAW,
                                      message, sig));
        sig[sig.size() / 2] ^= 1;
        CHECK(!store.asymmetric_verify(key.key_id, key.version_id, c.alg,
                                       akms::MessageType::RAW, message, sig));
        // A DIGEST is exactly 32 bytes.
        expect_error(akms::Status::INVALID_ARGUMENT, [&] {
            store.asymmetric_sign(key.key_id, key.version_id, c.alg, akms::MessageType::DIGEST,
                                  message);
        });
        std::string pem = store.get_public_key(key.key_id, key.version_id);
        CHECK(pem.rfind("-----BEGIN PUBLIC KEY-----\n", 0) == 0);
        std::string csr = store.generate_csr(key.key_id, key.version_id, "CN=cpp.example.com",
                                             {"cpp.example.com", "www.example.com"});
        CHECK(csr.rfind("-----BEGIN CERTIFICATE REQUEST-----\n", 0) == 0);
    }
    expect_error(akms::Status::NOT_FOUND, [&] { store.get_public_key("no-such-key", "v"); });

    for (auto [spec, alg] :
         {std::pair{akms::KeySpec::RSA_2048, akms::Algorithm::RSAES_OAEP_SHA_256},
          std::pair{akms::KeySpec::EC_SM2, akms::Algorithm::SM2PKE}}) {
        auto key = store.create_key(spec, akms::KeyUsage::ENCRYPT_DECRYPT);
        std::vector<std::uint8_t> plain = {'k', 'e', 'y', 0, 1, 2};
        std::vector<std::uint8_t> ct =
            store.asymmetric_encrypt(key.key_id, key.version_id, alg, plain);
        std::vector<std::uint8_t> back =
            store.asymmetric_decrypt(key.key_id, key.version_id, alg, ct);
        CHECK(back == plain);
        akms::wipe(back);
        CHECK(back.empty());
        ct.back() ^= 1;
        expect_error(akms::Status::DECRYPTION_FAILED,
                     [&] { store.asymmetric_decrypt(key.key_id, key.version_id, alg, ct); });
    }
    // An empty OAEP plaintext is allowed and comes back empty.
    auto rsa = store.create_key(akms::KeySpec::RSA_2048, akms::KeyUsage::ENCRYPT_DECRYPT);
    auto ct = store.asymmetric_encrypt(rsa.key_id, rsa.version_id,
                                       akms::Algorithm::RSAES_OAEP_SHA_1, akms::ByteView());
    CHECK(store.asymmetric_decrypt(rsa.key_id, rsa.version_id, akms::Algorithm::RSAES_OAEP_SHA_1,
                                   ct)
              .empty());
}

static void test_move_and_import() {
    akms::Store a;
    auto key = a.create_key(akms::KeySpec::EC_P256, akms::KeyUsage::SIGN_VERIFY);
    akms::Store b = std::move(a);
    CHECK(a.get() == nullptr);
    CHECK(contains(b.describe_key(key.key_id), key.key_id));
    // A moved-from Store throws, never crashes.
    expect_error(akms::Status::INVALID_ARGUMENT, [&] { a.list_keys(); });
    akms::Store c;
    c = std::move(b);
    CHECK(contains(c.list_keys(), key.key_id));

    expect_error(akms::Status::INVALID_ARGUMENT, [&] {
        c.import_key(akms::KeyUsage::SIGN_VERIFY, std::string_view("not a key"));
    });
    expect_error(akms::Status::INVALID_ARGUMENT,
                 [&] { c.import_key_version(key.key_id, std::string_view("junk")); });
}

static void test_persistent_store() {
    char dir[] = "/tmp/akms-cpp-XXXXXX";
    CHECK(mkdtemp(dir) != nullptr);
    std::string path = std::string(dir) + "/store.akms";
    std::string key_id;
    {
        akms::Store s = akms::Store::open(path, "c++ passphrase");
        key_id = s.create_key(akms::KeySpec::EC_P256, akms::KeyUsage::SIGN_VERIFY).key_id;
    }
    {
        akms::Store s = akms::Store::store_open(path, "c++ passphrase");
        CHECK(contains(s.describe_key(key_id), key_id));
    }
    expect_error(akms::Status::CORRUPT, [&] { akms::Store::open(path, "wrong"); });
    std::remove(path.c_str());
    rmdir(dir);
}

static void test_restrict_and_audit() {
    std::vector<std::string> events;
    akms::Store root;
    root.store_set_audit_callback([&](std::string_view json) { events.emplace_back(json); });
    auto key = root.create_key(akms::KeySpec::EC_P256, akms::KeyUsage::SIGN_VERIFY);
    CHECK(events.size() == 1 && contains(events[0], "\"Operation\":\"CreateKey\""));
    {
        akms::Store limited = root.store_restrict(
            R"({"Principal":"reader","Statement":[{"Effect":"Allow","Action":["kms:DescribeKey"],"Resource":["*"]}]})");
        CHECK(contains(limited.describe_key(key.key_id), key.key_id));
        expect_error(akms::Status::ACCESS_DENIED, [&] { limited.list_keys(); });
        expect_error(akms::Status::ACCESS_DENIED,
                     [&] { limited.store_set_audit_callback([](std::string_view) {}); });
        // The restricted handle outlives the root, and its events still have somewhere to go.
        root = akms::Store();
        CHECK(contains(limited.describe_key(key.key_id), key.key_id));
    }
    CHECK(events.size() >= 4);
    CHECK(contains(events.back(), "\"Principal\":\"reader\""));
    expect_error(akms::Status::INVALID_ARGUMENT, [&] { root.store_restrict("{not json"); });
    // A callback that throws does not unwind into the library; removing it works.
    root.store_set_audit_callback([](std::string_view) { throw std::runtime_error("boom"); });
    root.create_key(akms::KeySpec::EC_P256K, akms::KeyUsage::SIGN_VERIFY);
    root.store_set_audit_callback(nullptr);
    root.list_keys();
}

int main() {
    test_versions();
    test_keys_and_states();
    test_sign_verify_encrypt_decrypt();
    test_move_and_import();
    test_persistent_store();
    test_restrict_and_audit();
    std::printf("test_store (C++): %d checks, %d failures\n", checks, failures);
    return failures == 0 ? 0 : 1;
}
