// hyda train --checkpoint: a run killed (SIGKILL) in the middle of saving a checkpoint
// leaves the previous checkpoint, from which --resume finishes with the model file of a
// run never interrupted, byte for byte. The kill comes from the checkpoint writer's test
// hook (HYDA_TEST_KILL_DURING_CHECKPOINT, cli/checkpoint_file.hpp) in the real hyda
// binary, run as a child process: the other tests run the command in-process, which a
// SIGKILL would end. A checkpoint of another command, a corrupt one or a missing one is
// refused with the bad-input exit code, naming the file and what differs.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>

#include "cli_test_support.hpp"

extern char** environ;

using namespace cli_test;
using Catch::Contains;

namespace {

struct Child {
    int code = -1;    // the exit code, if it exited
    int signal = 0;   // the signal that ended it, if one did
    std::string err;  // its stderr
};

// The hyda binary with `args`, and `setting` ("NAME=VALUE", if not empty) added to the
// environment; its stderr goes to `err_file`, its stdout nowhere.
Child run_binary(const std::vector<std::string>& args, const std::string& err_file, const std::string& setting = "") {
    std::vector<std::string> words = {HYDA_BINARY};
    words.insert(words.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (std::string& w : words) argv.push_back(w.data());
    argv.push_back(nullptr);
    std::vector<std::string> env_words;
    for (char** e = environ; *e != nullptr; ++e) env_words.emplace_back(*e);
    if (!setting.empty()) env_words.push_back(setting);
    std::vector<char*> envp;
    for (std::string& e : env_words) envp.push_back(e.data());
    envp.push_back(nullptr);

    posix_spawn_file_actions_t files;
    posix_spawn_file_actions_init(&files);
    posix_spawn_file_actions_addopen(&files, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&files, 2, err_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    pid_t pid = 0;
    const int spawned = posix_spawn(&pid, HYDA_BINARY, &files, nullptr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&files);
    REQUIRE(spawned == 0);
    int status = 0;
    REQUIRE(waitpid(pid, &status, 0) == pid);
    Child c;
    if (WIFEXITED(status)) c.code = WEXITSTATUS(status);
    if (WIFSIGNALED(status)) c.signal = WTERMSIG(status);
    c.err = read_file(err_file);
    return c;
}

// A quick run on small_csv with dropout (the dropout Rng is state too): 120 training
// rows, 4 batches an epoch.
std::vector<std::string> train_args(const TempDir& dir) {
    return std::vector<std::string>{"train"} + small_task_options(dir / "data.csv") + std::vector<std::string>{"--dropout", "0.1", "--method", "famo"};
}

}  // namespace

TEST_CASE("checkpoint: a run killed during a save resumes to the model of a run never interrupted", "[cli][checkpoint]") {
    TempDir dir("checkpoint_kill");
    write_file(dir / "data.csv", small_csv(200));
    const std::string checkpoint = dir / "run.ckpt";
    REQUIRE(run_hyda(train_args(dir) + std::vector<std::string>{"--quiet", "--out", dir / "reference.model"}).code == 0);

    // Saves after steps 2, 4 (epoch 1's end), 6, 8 (epoch 2's end), ...: the third one is
    // killed half-way through its temporary file.
    const std::vector<std::string> checkpointed = train_args(dir) + std::vector<std::string>{"--checkpoint", checkpoint, "--checkpoint-every", "2"};
    const Child killed = run_binary(checkpointed + std::vector<std::string>{"--quiet", "--out", dir / "killed.model"}, dir / "killed.err",
                                    "HYDA_TEST_KILL_DURING_CHECKPOINT=3");
    REQUIRE(killed.signal == SIGKILL);
    CHECK(!std::filesystem::exists(dir / "killed.model"));
    REQUIRE(std::filesystem::exists(checkpoint + ".tmp"));  // the interrupted save
    CHECK(std::filesystem::file_size(checkpoint + ".tmp") < std::filesystem::file_size(checkpoint));

    // The previous checkpoint is whole: --resume continues from it, and says where.
    const Child resumed = run_binary(checkpointed + std::vector<std::string>{"--resume", "--out", dir / "resumed.model"}, dir / "resumed.err");
    INFO(resumed.err);
    REQUIRE(resumed.code == 0);
    CHECK_THAT(resumed.err, Contains("resumed from " + checkpoint + " at step 4 (epoch 2/6, 0 batches into it)"));
    CHECK_THAT(resumed.err, Contains("epoch 2/6") && !Contains("epoch 1/6"));  // epoch 1 is not trained again
    CHECK(read_file(dir / "resumed.model") == read_file(dir / "reference.model"));
}

TEST_CASE("checkpoint: --resume refuses a checkpoint of another command, a corrupt one and a missing one", "[cli][checkpoint]") {
    TempDir dir("checkpoint_mismatch");
    write_file(dir / "data.csv", small_csv(200));
    const std::string checkpoint = dir / "run.ckpt";
    const std::vector<std::string> checkpointed = train_args(dir) + std::vector<std::string>{"--quiet", "--checkpoint", checkpoint};
    const auto resume = [&](const std::vector<std::string>& extra) {
        return run_hyda(checkpointed + std::vector<std::string>{"--resume", "--out", dir / "m.model"} + extra);
    };
    CHECK_THAT(resume({}).err, Contains(checkpoint) && Contains("cannot read"));
    CHECK(resume({}).code == 3);
    REQUIRE(run_hyda(checkpointed + std::vector<std::string>{"--out", dir / "m.model"}).code == 0);

    const Result other_lr = resume({"--lr", "0.01"});
    CHECK(other_lr.code == 3);
    CHECK_THAT(other_lr.err, Contains(checkpoint) && Contains("another run") && Contains("--lr is '0.001' in the checkpoint, '0.01' in this run"));
    CHECK_THAT(resume({"--seed", "2"}).err, Contains("--seed is '1' in the checkpoint, '2' in this run"));
    write_file(dir / "data.csv", small_csv(200, 6));  // other contents, same name
    const Result other_data = resume({});
    CHECK(other_data.code == 3);
    CHECK_THAT(other_data.err, Contains("--data is '") && Contains("CRC-32"));
    write_file(dir / "data.csv", small_csv(200));

    std::string bytes = read_file(checkpoint);
    bytes[bytes.size() / 2] ^= 1;
    write_file(checkpoint, bytes);
    const Result corrupt = resume({});
    CHECK(corrupt.code == 3);
    CHECK_THAT(corrupt.err, Contains(checkpoint) && Contains("corrupt"));

    // Options that make no sense alone are usage errors.
    CHECK(run_hyda(train_args(dir) + std::vector<std::string>{"--resume", "--out", dir / "m.model"}).code == 2);
    CHECK(run_hyda(train_args(dir) + std::vector<std::string>{"--checkpoint-every", "5", "--out", dir / "m.model"}).code == 2);
    CHECK(run_hyda(train_args(dir) + std::vector<std::string>{"--checkpoint", dir / "m.model", "--out", dir / "m.model"}).code == 2);
}
