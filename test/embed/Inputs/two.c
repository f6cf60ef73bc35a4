/* Two libraries of models that are both called Mlp, in one program. */
#include "first.h"
#include "second.h"

#include <stdio.h>

int main(void) {
  static float image[2 * FIRST_IMAGE_SIZE];
  float a[2 * FIRST_OUTPUT_SIZE], b[2 * SECOND_OUTPUT_SIZE];
  first *f = 0;
  second *s = 0;
  if (first_create(&f, 0) || second_create(&s, 0) ||
      first_forward(f, 2, image, a) || second_forward(s, 2, image, b)) {
    printf("error: %s %s\n", first_error(), second_error());
    return 1;
  }
  printf("first %d second %d parameters\n", FIRST_PARAMETERS,
         SECOND_PARAMETERS);
  first_destroy(f);
  second_destroy(s);
  return 0;
}
