// Trains a small MLP with hyda's autodiff on a toy problem and prints the loss falling.
//
// The task: points in the square [-1, 1]^2, label 1 where x * y > 0 (the XOR pattern,
// which no linear model can fit). Model 2 -> 32 -> 32 -> 1 with ReLU, BCE-with-logits,
// Adam, full-batch steps.
#include <cstdio>

#include <vector>

#include "hyda/autodiff/init.hpp"
#include "hyda/autodiff/ops.hpp"
#include "hyda/autodiff/optim.hpp"

using namespace hyda::ad;

int main() {
    const int n = 512, hidden = 32;
    Rng rng(42);
    auto uniform = [&rng] { return float(2 * rng.uniform() - 1); };  // on [-1, 1)
    std::vector<float> points(2 * n), labels(n);
    for (int i = 0; i < n; ++i) {
        points[2 * i] = uniform();
        points[2 * i + 1] = uniform();
        labels[i] = points[2 * i] * points[2 * i + 1] > 0 ? 1.0f : 0.0f;
    }

    Parameter<float> W1("W1", 2, hidden), b1("b1", 1, hidden), W2("W2", hidden, hidden), b2("b2", 1, hidden),
        W3("W3", hidden, 1), b3("b3", 1, 1);
    he_uniform(W1, rng);
    he_uniform(W2, rng);
    xavier_uniform(W3, rng);
    std::vector<Parameter<float>*> params = {&W1, &b1, &W2, &b2, &W3, &b3};
    Adam<float> optimizer(params, 0.01f);

    Tape<float> tape;
    for (int step = 0; step <= 400; ++step) {
        tape.reset();
        const Var<float> x = tape.input(points.data(), n, 2, "points");
        Var<float> h = relu(linear(x, tape.param(W1), tape.param(b1)));
        h = relu(linear(h, tape.param(W2), tape.param(b2)));
        const Var<float> logits = linear(h, tape.param(W3), tape.param(b3));
        const Var<float> loss = bce_with_logits(logits, tape.input(labels.data(), n, 1, "labels"));
        tape.backward(loss);
        optimizer.step();
        if (step % 50 == 0) {
            int correct = 0;
            for (int i = 0; i < n; ++i) correct += (logits.data()[i] > 0) == (labels[i] > 0.5f);
            std::printf("step %3d  loss %.4f  accuracy %.1f%%\n", step, loss.item(), 100.0 * correct / n);
        }
    }
    return 0;
}
