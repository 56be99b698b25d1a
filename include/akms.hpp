/*
 * akms.hpp: a header-only C++17 wrapper over the akms C ABI (akms.h).
 *
 *   akms::Store store;                                   // in memory; or akms::Store::open(path, pass)
 *   auto [key_id, version_id] = store.create_key(akms::KeySpec::EC_P256, akms::KeyUsage::SIGN_VERIFY);
 *   std::vector<uint8_t> sig = store.asymmetric_sign(key_id, version_id,
 *       akms::Algorithm::ECDSA_SHA_256, akms::MessageType::RAW, message);
 *   bool ok = store.asymmetric_verify(key_id, version_id, akms::Algorithm::ECDSA_SHA_256,
 *       akms::MessageType::RAW, message, sig);
 *
 * Conventions
 * - akms::Store owns one akms_store handle (RAII): movable, not copyable; a moved-from Store
 *   holds nothing and any call on it throws akms::Error (AKMS_ERR_INVALID_ARGUMENT).
 * - Methods are the C functions without the akms_ prefix. Text is taken as std::string_view
 *   (copied to a NUL-terminated string; text containing NUL is AKMS_ERR_INVALID_ARGUMENT), bytes
 *   as akms::ByteView (from a std::vector<uint8_t>, a std::string or std::string_view, or a
 *   pointer and a length). Results are std::string, std::vector<uint8_t> or bool.
 * - Every buffer akms returns is copied and then released (zeroized) by a destructor, also when
 *   an exception is thrown. A decrypted plaintext is returned as a std::vector<uint8_t> that is
 *   the caller's to wipe: akms::wipe(v) zeroizes it.
 * - Failures throw akms::Error (derived from std::runtime_error): status() gives the
 *   akms::Status, what() the detail message, status_name() e.g. "AKMS_ERR_NOT_FOUND".
 * - Threads: as the C ABI, every method may be called from any thread at once on one Store.
 */

#ifndef AKMS_HPP
#define AKMS_HPP

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "akms.h"

namespace akms {

/** A status code (akms_status). */
enum class Status : std::uint32_t {
    OK = AKMS_OK,
    INVALID_ARGUMENT = AKMS_ERR_INVALID_ARGUMENT,
    NOT_FOUND = AKMS_ERR_NOT_FOUND,
    ALREADY_EXISTS = AKMS_ERR_ALREADY_EXISTS,
    INCOMPATIBLE = AKMS_ERR_INCOMPATIBLE,
    INVALID_STATE = AKMS_ERR_INVALID_STATE,
    DECRYPTION_FAILED = AKMS_ERR_DECRYPTION_FAILED,
    ACCESS_DENIED = AKMS_ERR_ACCESS_DENIED,
    IO = AKMS_ERR_IO,
    CORRUPT = AKMS_ERR_CORRUPT,
    INTERNAL = AKMS_ERR_INTERNAL,
};

/** Key specs. */
enum class KeySpec : std::uint32_t {
    RSA_2048 = AKMS_KEY_SPEC_RSA_2048,
    RSA_3072 = AKMS_KEY_SPEC_RSA_3072,
    EC_P256 = AKMS_KEY_SPEC_EC_P256,
    EC_P256K = AKMS_KEY_SPEC_EC_P256K,
    EC_SM2 = AKMS_KEY_SPEC_EC_SM2,
};

/** Key usages. */
enum class KeyUsage : std::uint32_t {
    SIGN_VERIFY = AKMS_KEY_USAGE_SIGN_VERIFY,
    ENCRYPT_DECRYPT = AKMS_KEY_USAGE_ENCRYPT_DECRYPT,
};

/** Signing and encryption algorithms. */
enum class Algorithm : std::uint32_t {
    RSA_PSS_SHA_256 = AKMS_ALG_RSA_PSS_SHA_256,
    RSA_PKCS1_SHA_256 = AKMS_ALG_RSA_PKCS1_SHA_256,
    ECDSA_SHA_256 = AKMS_ALG_ECDSA_SHA_256,
    SM2DSA = AKMS_ALG_SM2DSA,
    RSAES_OAEP_SHA_1 = AKMS_ALG_RSAES_OAEP_SHA_1,
    RSAES_OAEP_SHA_256 = AKMS_ALG_RSAES_OAEP_SHA_256,
    SM2PKE = AKMS_ALG_SM2PKE,
};

/** What the data given to sign or verify is: the 32-byte digest, or the message itself. */
enum class MessageType : std::uint32_t {
    DIGEST = AKMS_MESSAGE_DIGEST,
    RAW = AKMS_MESSAGE_RAW,
};

/** The C name of a status, e.g. "AKMS_ERR_NOT_FOUND" (static). */
inline const char *status_name(Status status) noexcept {
    return akms_status_name(static_cast<akms_status>(status));
}

/** The library's version, e.g. "0.1.0". */
inline std::string version() { return akms_version(); }

/** The library's ABI version; equal to AKMS_ABI_VERSION of a matching header. */
inline std::uint32_t abi_version() noexcept { return akms_abi_version(); }

/** A failed call: the status and the library's detail message (what()). */
class Error : public std::runtime_error {
public:
    Error(Status status, const std::string &message)
        : std::runtime_error(message), status_(status) {}

    /** The status code. */
    Status status() const noexcept { return status_; }

    /** The status's C name, e.g. "AKMS_ERR_NOT_FOUND". */
    const char *status_name() const noexcept { return akms::status_name(status_); }

private:
    Status status_;
};

/** Zeroizes `bytes` (a plaintext, say) and empties it. */
inline void wipe(std::vector<std::uint8_t> &bytes) noexcept {
    volatile std::uint8_t *p = bytes.data();
    for (std::size_t i = 0; i < bytes.size(); ++i) {
        p[i] = 0;
    }
    bytes.clear();
}

/** Bytes borrowed for the length of a call: a pointer and a length. */
class ByteView {
public:
    ByteView() noexcept = default;
    ByteView(const void *data, std::size_t size) noexcept
        : data_(static_cast<const std::uint8_t *>(data)), size_(size) {}
    ByteView(const std::vector<std::uint8_t> &bytes) noexcept  // NOLINT: implicit on purpose
        : data_(bytes.data()), size_(bytes.size()) {}
    ByteView(const std::string &bytes) noexcept  // NOLINT: implicit on purpose
        : ByteView(std::string_view(bytes)) {}
    ByteView(std::string_view bytes) noexcept  // NOLINT: implicit on purpose
        : data_(reinterpret_cast<const std::uint8_t *>(bytes.data())), size_(bytes.size()) {}
    ByteView(const char *text) noexcept : ByteView(std::string_view(text)) {}  // NOLINT

    const std::uint8_t *data() const noexcept { return data_; }
    std::size_t size() const noexcept { return size_; }

private:
    const std::uint8_t *data_ = nullptr;
    std::size_t size_ = 0;
};

/** A new key's ids: `auto [key_id, version_id] = store.create_key(...)`. */
struct KeyIds {
    std::string key_id;
    std::string version_id;
};

namespace detail {

[[noreturn]] inline void fail(akms_status status) {
    throw Error(static_cast<Status>(status), akms_last_error_message());
}

inline void check(akms_status status) {
    if (status != AKMS_OK) {
        fail(status);
    }
}

/** A NUL-terminated copy of a string_view; text with NUL in it is refused. */
class CString {
public:
    explicit CString(std::string_view text) : text_(text) {
        if (text_.find('\0') != std::string::npos) {
            throw Error(Status::INVALID_ARGUMENT, "text contains a NUL byte");
        }
    }
    const char *get() const noexcept { return text_.c_str(); }

private:
    std::string text_;
};

/** A string returned by akms, freed by the destructor. */
struct OwnedString {
    char *ptr = nullptr;
    OwnedString() = default;
    OwnedString(const OwnedString &) = delete;
    OwnedString &operator=(const OwnedString &) = delete;
    ~OwnedString() { akms_string_free(ptr); }
    std::string str() const { return ptr != nullptr ? std::string(ptr) : std::string(); }
};

/** A buffer returned by akms, zeroized and freed by the destructor. */
struct OwnedBytes {
    akms_bytes bytes{nullptr, 0};
    OwnedBytes() = default;
    OwnedBytes(const OwnedBytes &) = delete;
    OwnedBytes &operator=(const OwnedBytes &) = delete;
    ~OwnedBytes() { akms_bytes_free(&bytes); }
    std::vector<std::uint8_t> vec() const {
        return bytes.data != nullptr ? std::vector<std::uint8_t>(bytes.data, bytes.data + bytes.len)
                                     : std::vector<std::uint8_t>();
    }
};

/** An audit callback. */
using AuditFunction = std::function<void(std::string_view event_json)>;

/**
 * The audit callback of a store, shared by its handle and every handle restricted from it
 * (their events go to it too), so it lives as long as any of them.
 */
struct AuditSlot {
    std::mutex mutex;
    std::unique_ptr<AuditFunction> fn;
};

/** Calls the C++ callback from C; nothing is allowed to unwind into the library. */
inline void audit_trampoline(void *user_data, const char *event_json) noexcept {
    try {
        auto *fn = static_cast<AuditFunction *>(user_data);
        (*fn)(event_json != nullptr ? std::string_view(event_json) : std::string_view());
    } catch (...) {
        // An exception cannot cross into the library: it is dropped.
    }
}

}  // namespace detail

/** A key store: one akms_store handle, freed by the destructor. */
class Store {
public:
    /** An empty store held in memory only (akms_store_new). */
    Store() : audit_(std::make_shared<detail::AuditSlot>()) {
        detail::check(akms_store_new(&store_));
    }

    /**
     * The persistent store at `path` (a file, or a postgresql:// URI), created if absent
     * (akms_store_open). A wrong passphrase throws Error with Status::CORRUPT.
     */
    static Store store_open(std::string_view path, ByteView passphrase) {
        detail::CString p(path);
        akms_store *s = nullptr;
        detail::check(akms_store_open(p.get(), passphrase.data(), passphrase.size(), &s));
        return Store(s, std::make_shared<detail::AuditSlot>());
    }

    /** Same as store_open. */
    static Store open(std::string_view path, ByteView passphrase) {
        return store_open(path, passphrase);
    }

    Store(const Store &) = delete;
    Store &operator=(const Store &) = delete;

    Store(Store &&other) noexcept
        : store_(std::exchange(other.store_, nullptr)), audit_(std::move(other.audit_)) {}

    Store &operator=(Store &&other) noexcept {
        if (this != &other) {
            akms_store_free(store_);
            store_ = std::exchange(other.store_, nullptr);
            audit_ = std::move(other.audit_);
        }
        return *this;
    }

    /** Frees the handle (akms_store_free); other handles on the same keys live on. */
    ~Store() { akms_store_free(store_); }

    /** The C handle, still owned by this Store (nullptr after a move). */
    akms_store *get() const noexcept { return store_; }

    // ---- keys and versions ------------------------------------------------------------

    KeyIds create_key(KeySpec spec, KeyUsage usage, std::string_view description = {}) {
        detail::CString d(description);
        detail::OwnedString key_id, version_id;
        detail::check(akms_create_key(store_, static_cast<std::uint32_t>(spec),
                                      static_cast<std::uint32_t>(usage), d.get(), &key_id.ptr,
                                      &version_id.ptr));
        return KeyIds{key_id.str(), version_id.str()};
    }

    std::string create_key_version(std::string_view key) {
        detail::CString k(key);
        detail::OwnedString version_id;
        detail::check(akms_create_key_version(store_, k.get(), &version_id.ptr));
        return version_id.str();
    }

    /** Imports a PKCS#8 DER private key as a new key (Origin EXTERNAL). */
    KeyIds import_key(KeyUsage usage, ByteView pkcs8_der, std::string_view description = {}) {
        detail::CString d(description);
        detail::OwnedString key_id, version_id;
        detail::check(akms_import_key(store_, static_cast<std::uint32_t>(usage), pkcs8_der.data(),
                                      pkcs8_der.size(), d.get(), &key_id.ptr, &version_id.ptr));
        return KeyIds{key_id.str(), version_id.str()};
    }

    std::string import_key_version(std::string_view key, ByteView pkcs8_der) {
        detail::CString k(key);
        detail::OwnedString version_id;
        detail::check(akms_import_key_version(store_, k.get(), pkcs8_der.data(), pkcs8_der.size(),
                                              &version_id.ptr));
        return version_id.str();
    }

    /** The key's metadata as JSON (KeyId, KeySpec, KeyUsage, KeyState, ...). */
    std::string describe_key(std::string_view key) {
        detail::CString k(key);
        detail::OwnedString json;
        detail::check(akms_describe_key(store_, k.get(), &json.ptr));
        return json.str();
    }

    /** Every key's metadata, a JSON array. */
    std::string list_keys() {
        detail::OwnedString json;
        detail::check(akms_list_keys(store_, &json.ptr));
        return json.str();
    }

    /** The key's versions, a JSON array (KeyId, KeyVersionId, CreationDate). */
    std::string list_key_versions(std::string_view key) {
        detail::CString k(key);
        detail::OwnedString json;
        detail::check(akms_list_key_versions(store_, k.get(), &json.ptr));
        return json.str();
    }

    // ---- aliases and states -----------------------------------------------------------

    void create_alias(std::string_view alias, std::string_view key_id) {
        detail::CString a(alias), k(key_id);
        detail::check(akms_create_alias(store_, a.get(), k.get()));
    }

    void update_alias(std::string_view alias, std::string_view key_id) {
        detail::CString a(alias), k(key_id);
        detail::check(akms_update_alias(store_, a.get(), k.get()));
    }

    void delete_alias(std::string_view alias) {
        detail::CString a(alias);
        detail::check(akms_delete_alias(store_, a.get()));
    }

    void enable_key(std::string_view key) {
        detail::CString k(key);
        detail::check(akms_enable_key(store_, k.get()));
    }

    void disable_key(std::string_view key) {
        detail::CString k(key);
        detail::check(akms_disable_key(store_, k.get()));
    }

    /** Schedules deletion after `pending_window_days` (7 to 30). */
    void schedule_key_deletion(std::string_view key, std::uint32_t pending_window_days) {
        detail::CString k(key);
        detail::check(akms_schedule_key_deletion(store_, k.get(), pending_window_days));
    }

    void cancel_key_deletion(std::string_view key) {
        detail::CString k(key);
        detail::check(akms_cancel_key_deletion(store_, k.get()));
    }

    // ---- cryptography -----------------------------------------------------------------

    /** The version's public key, PEM SubjectPublicKeyInfo. */
    std::string get_public_key(std::string_view key, std::string_view version) {
        detail::CString k(key), v(version);
        detail::OwnedString pem;
        detail::check(akms_get_public_key(store_, k.get(), v.get(), &pem.ptr));
        return pem.str();
    }

    std::vector<std::uint8_t> asymmetric_encrypt(std::string_view key, std::string_view version,
                                                 Algorithm algorithm, ByteView plaintext) {
        detail::CString k(key), v(version);
        detail::OwnedBytes out;
        detail::check(akms_asymmetric_encrypt(store_, k.get(), v.get(),
                                              static_cast<std::uint32_t>(algorithm),
                                              plaintext.data(), plaintext.size(), &out.bytes));
        return out.vec();
    }

    /** The plaintext; the library's copy is zeroized, the returned one is the caller's (wipe). */
    std::vector<std::uint8_t> asymmetric_decrypt(std::string_view key, std::string_view version,
                                                 Algorithm algorithm, ByteView ciphertext) {
        detail::CString k(key), v(version);
        detail::OwnedBytes out;
        detail::check(akms_asymmetric_decrypt(store_, k.get(), v.get(),
                                              static_cast<std::uint32_t>(algorithm),
                                              ciphertext.data(), ciphertext.size(), &out.bytes));
        return out.vec();
    }

    /** Signs a 32-byte digest (MessageType::DIGEST) or a message (MessageType::RAW). */
    std::vector<std::uint8_t> asymmetric_sign(std::string_view key, std::string_view version,
                                              Algorithm algorithm, MessageType message_type,
                                              ByteView data) {
        detail::CString k(key), v(version);
        detail::OwnedBytes out;
        detail::check(akms_asymmetric_sign(store_, k.get(), v.get(),
                                           static_cast<std::uint32_t>(algorithm),
                                           static_cast<std::uint32_t>(message_type), data.data(),
                                           data.size(), &out.bytes));
        return out.vec();
    }

    /** Whether `signature` is valid; a wrong or malformed signature is false, not an Error. */
    bool asymmetric_verify(std::string_view key, std::string_view version, Algorithm algorithm,
                           MessageType message_type, ByteView data, ByteView signature) {
        detail::CString k(key), v(version);
        bool valid = false;
        detail::check(akms_asymmetric_verify(
            store_, k.get(), v.get(), static_cast<std::uint32_t>(algorithm),
            static_cast<std::uint32_t>(message_type), data.data(), data.size(), signature.data(),
            signature.size(), &valid));
        return valid;
    }

    /** A PEM PKCS#10 request for `subject` (RFC 4514), with optional DNS names. */
    std::string generate_csr(std::string_view key, std::string_view version,
                             std::string_view subject,
                             const std::vector<std::string> &dns_names = {}) {
        detail::CString k(key), v(version), s(subject);
        std::vector<detail::CString> names;
        names.reserve(dns_names.size());
        std::vector<const char *> ptrs;
        ptrs.reserve(dns_names.size());
        for (const auto &name : dns_names) {
            names.emplace_back(name);
            ptrs.push_back(names.back().get());
        }
        detail::OwnedString pem;
        detail::check(akms_generate_csr(store_, k.get(), v.get(), s.get(),
                                        ptrs.empty() ? nullptr : ptrs.data(), ptrs.size(),
                                        &pem.ptr));
        return pem.str();
    }

    // ---- policies and audit -----------------------------------------------------------

    /** A new handle on the same keys limited by the JSON policy document (akms_store_restrict). */
    Store store_restrict(std::string_view policy_json) {
        detail::CString p(policy_json);
        akms_store *s = nullptr;
        detail::check(akms_store_restrict(store_, p.get(), &s));
        // The restricted handle keeps the root's callback alive: its events go there too.
        return Store(s, audit_ != nullptr ? audit_ : std::make_shared<detail::AuditSlot>());
    }

    /**
     * Sends every call's audit event (JSON) to `callback`, from the calling thread; an empty
     * std::function removes it. Exceptions thrown by the callback are dropped.
     */
    void store_set_audit_callback(std::function<void(std::string_view)> callback) {
        if (audit_ == nullptr) {  // a moved-from Store: the C call refuses the NULL handle
            detail::check(akms_store_set_audit_callback(store_, nullptr, nullptr));
            return;
        }
        std::lock_guard<std::mutex> lock(audit_->mutex);
        std::unique_ptr<detail::AuditFunction> fn;
        if (callback) {
            fn = std::make_unique<detail::AuditFunction>(std::move(callback));
        }
        detail::check(akms_store_set_audit_callback(
            store_, fn != nullptr ? &detail::audit_trampoline : nullptr, fn.get()));
        // No thread is still inside the previous callback (the C function waits), so it may go.
        audit_->fn = std::move(fn);
    }

private:
    Store(akms_store *store, std::shared_ptr<detail::AuditSlot> audit) noexcept
        : store_(store), audit_(std::move(audit)) {}

    akms_store *store_ = nullptr;
    // Declared after store_: destroyed after the destructor body frees the handle.
    std::shared_ptr<detail::AuditSlot> audit_;
};

}  // namespace akms

#endif /* AKMS_HPP */
