// C++ that a naive brace counter gets wrong. Each function's first line (its name) carries a
// begin marker with the function's name and its closing brace an end marker;
// tests/layout_checks_test.py checks that scripts/check_function_length.py finds exactly these
// functions and lines. Never compiled.
#include <array>
#include <functional>
#define OPEN_BRACE {
#define LONG_MACRO(x) \
    do {              \
        (void)(x);    \
    } while (0)

namespace outer::inner {
namespace {

struct Pair {
    int a;
    int b;
};

// C-style return type: the struct keyword does not make this a class.
struct Pair make_pair_of(int a) {  // begin: make_pair_of
    struct Pair p {};
    p.a = a;
    return p;
}  // end: make_pair_of

}  // namespace

// Braces in comments: { { {
/* and in block comments: } } }
   "a quote that never closes, and 'an apostrophe */
int comments() {  // begin: comments
    // }
    /* } */
    return 1;  // don't count the apostrophe
}  // end: comments

const char* strings() {  // begin: strings
    const char* a = "}\"{";
    const char* b = u8"{{";
    const wchar_t* c = L"}";
    const char* d = R"x(} )" {
        )"
    })x";
    const char* e = R"({)";
    (void)a, (void)b, (void)c, (void)e;
    return d;
}  // end: strings

int chars() {  // begin: chars
    char open = '{';
    char close = '}';
    char quote = '\'';
    char16_t wide = u'}';
    long million = 1'000'000;
    long hex = 0xFF'FF;
    return open + close + quote + wide + static_cast<int>(million + hex);
}  // end: chars

int with_lambdas(int x) {  // begin: with_lambdas
    auto f = [&](int y) {
        auto g = [](int z) { return z + 1; };
        return g(y) + x;
    };
    std::function<int(int)> h = [](int y) -> int {
        if (y > 0) {
            return y;
        }
        return -y;
    };
    return f(x) + h(x);
}  // end: with_lambdas

// A namespace-scope lambda is a variable, not a function.
auto kTwice = [](int x) {
    return 2 * x;
};

class Widget final : public Base {
public:
    Widget(int a, int b);
    ~Widget();

    struct Inner {
        int value() const noexcept {  // begin: Widget::Inner::value
            return v_;
        }  // end: Widget::Inner::value
        int v_{0};
    };

    template <typename T>
    auto cast(T t) const -> decltype(static_cast<int>(t)) {  // begin: Widget::cast
        return static_cast<int>(t);
    }  // end: Widget::cast

    bool operator<(const Widget& other) const { return a_ < other.a_; }  // begin: Widget::operator< end: Widget::operator<

    enum class Colour : int { red, green };

private:
    int a_{1};
    std::array<int, 2> pair_{1, 2};
    std::function<void(int)> callback_{};
    int bits_ : 3;
};

Widget::Widget(int a, int b)  // begin: Widget::Widget
    : Base{a},
      a_{a},
      pair_{{a, b}},
      callback_([this](int v) { a_ = v; }) {
    a_ += b;
}  // end: Widget::Widget

Widget::~Widget() {  // begin: Widget::~Widget
    a_ = 0;
}  // end: Widget::~Widget

std::function<void(int)>
make_callback(int base) {  // begin: make_callback
    return [base](int v) { (void)(base + v); };
}  // end: make_callback

template <typename T>
    requires(sizeof(T) < 8)
T smallest(T a, T b) noexcept(noexcept(a < b)) {  // begin: smallest
    return b < a ? b : a;
}  // end: smallest

void with_defaults(std::array<int, 2> values = {1, 2}) {  // begin: with_defaults
    (void)values;
}  // end: with_defaults

int function_try() try {  // begin: function_try
    return 1;
} catch (...) {
    return 0;
}  // end: function_try

LONG_MACRO(1)
int after_macro() {  // begin: after_macro
    int local_class_user = 0;
    struct Local {
        int get() { return 1; }
    };
    local_class_user = Local{}.get();
    return local_class_user;
}  // end: after_macro

}  // namespace outer::inner

extern "C" {
int c_entry(void) {  // begin: c_entry
    return 0;
}  // end: c_entry
}
