// A mutable global that no thread reaches: silent by default, a finding
// with --strict-globals.
int RequestCount = 0;

int handle() { return ++RequestCount; }

int main() { return handle() > 0 ? 0 : 1; }
