/* placeholder until the module owner writes it */
int main(void) { return 77; }
