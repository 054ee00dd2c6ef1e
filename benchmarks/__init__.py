"""Speed measurements (make bench): sprintlib against TensorFlow measured in the same run."""
