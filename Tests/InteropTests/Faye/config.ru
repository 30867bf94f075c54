use Faye
