#pragma once
// What the shared libraries export (cmake/package.cmake). hyda compiles with
// -fvisibility=hidden and every public header wraps its declarations in
// `#pragma GCC visibility push(default)` ... `pop`. GCC applies that pragma to classes
// and functions but not to a function template defined in a .cpp file (its instantiations
// take the visibility in force where the template is defined), so such templates say
// HYDA_EXPORT on their declaration.
#define HYDA_EXPORT [[gnu::visibility("default")]]
