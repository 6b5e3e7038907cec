namespace mylib {
class Thread {
public:
  explicit Thread(void (*f)());
  void Start();
  void Detach();
  void Join();
};
} // namespace mylib
void work();
void go() {
  mylib::Thread t(work);
  t.Detach();
}
