#include "support.h"
int main(void){return test_done("x");}
